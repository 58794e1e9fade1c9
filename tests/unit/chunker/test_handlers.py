"""Chunker handlers with fakes of the storage ports and the real offline video model at 72×128."""

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from admint.chunker.config import ChunkerSettings
from admint.chunker.handlers import (
    Ports,
    handle_chunk_completed,
    handle_chunk_requested,
    handle_storyboard_completed,
)
from admint.chunker.offline_video import OfflineVideoModel
from admint.contracts.chunks import ChunkCompleted, ChunkRequested, ChunksCompleted
from admint.contracts.envelope import Event
from admint.contracts.generation import StageProgress
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.core.errors import (
    PermanentError,
    PermanentProviderError,
    TransientError,
    TransientProviderError,
)
from admint.media.frames import RawVideoWriter, decode_image, encode_png, read_frames
from admint.media.probe import probe
from admint.providers.ports import VideoRequest, VideoResult
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.support.framecode import decode, frame

pytestmark = pytest.mark.unit

GID = builders.GID


@dataclass
class RecordingVideo:
    """The offline model, recording what it was asked (and optionally failing first)."""

    inner: OfflineVideoModel = field(default_factory=OfflineVideoModel)
    requests: list[VideoRequest] = field(default_factory=list)
    fail_with: Exception | None = None

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def chunk_duration_s(self) -> float:
        return self.inner.chunk_duration_s

    async def animate(self, request: VideoRequest) -> VideoResult:
        self.requests.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        return await self.inner.animate(request)


def storyboard_png(width: int, height: int, beat: int) -> bytes:
    rng = np.random.default_rng(beat)
    img = np.zeros((height, width, 3), np.uint8)
    img[:] = rng.integers(40, 200, 3)
    img[height // 3 : height // 2, width // 4 : 3 * width // 4] = 230
    return encode_png(img)


async def setup(tmp_path: Path, video: object | None = None, duration_s: int = 15, long_side: int = 128,
                ) -> tuple[Ports, StoryboardCompleted]:
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    spec = builders.spec(duration_s, long_side=long_side)
    plan = builders.plan(duration_s)
    await docs.create(GID, {"owner": "acme"})
    await docs.advance(GID, "storyboarding")
    frames = []
    for beat in plan.beats:
        png = storyboard_png(spec.size.width, spec.size.height, beat.index)
        ref = await blobs.put_bytes(keys.storyboard_key(GID, beat.index), png, "image/png")
        frames.append(FrameRef(beat_index=beat.index, image=ref))
    event = StoryboardCompleted(generation_id=GID, producer="storyboard", spec=spec, plan=plan, frames=frames)
    ports = Ports(docs=docs, blobs=blobs, video=video or RecordingVideo(),  # type: ignore[arg-type]
                  settings=ChunkerSettings(workdir=str(tmp_path / "work")))
    return ports, event


async def drive(ports: Ports, start: Event, *, shuffle: int | None = None) -> list[Event]:
    """Deliver events to the chunker's handlers until none is left (a tiny in-memory bus), in delivery order.

    With `shuffle`, pending events are delivered in a seeded random order (replicas racing each other)."""
    rng = random.Random(shuffle)
    pending: list[Event] = [start]
    seen: list[Event] = []
    while pending:
        event = pending.pop(rng.randrange(len(pending)) if shuffle is not None else 0)
        seen.append(event)
        if isinstance(event, StoryboardCompleted):
            pending += await handle_storyboard_completed(event, ports)
        elif isinstance(event, ChunkRequested):
            pending += await handle_chunk_requested(event, ports)
        elif isinstance(event, ChunkCompleted):
            pending += await handle_chunk_completed(event, ports)
    return seen


async def test_storyboard_fans_out_the_first_chunk_of_every_beat(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    out = await handle_storyboard_completed(event, ports)
    progress, *requests = out
    assert isinstance(progress, StageProgress) and (progress.stage, progress.total) == ("chunking", 5)
    assert [(r.beat_index, r.chunk_index, r.chunk_count) for r in requests] == [(0, 0, 2), (1, 0, 2), (2, 0, 1)]
    assert all(isinstance(r, ChunkRequested) for r in requests)
    first = requests[0]
    assert isinstance(first, ChunkRequested)
    assert first.init_frame == event.frames[0].image
    assert (first.requested_duration_s, first.needed_duration_s, first.beat_length_s) == (5.0, 5.0, 5.5)
    assert (first.caption, first.call_to_action) == ("Caption 0", "")
    last = requests[-1]
    assert isinstance(last, ChunkRequested)
    assert (last.beat_length_s, last.call_to_action) == (5.0, "Refill the planet")
    doc = await ports.docs.get(GID)
    assert doc is not None and doc["status"] == "chunking"
    assert doc["chunking"]["beats"] == {"0": 2, "1": 2, "2": 1} and doc["chunking"]["total"] == 5
    again = await handle_storyboard_completed(event, ports)  # redelivery: same events, same dedup ids
    assert [e.msg_id for e in again] == [e.msg_id for e in out]


async def test_whole_generation_chunks_in_order_with_continuity(tmp_path: Path) -> None:
    video = RecordingVideo()
    ports, event = await setup(tmp_path, video)
    seen = await drive(ports, event, shuffle=3)

    requested = [e for e in seen if isinstance(e, ChunkRequested)]
    completed = [e for e in seen if isinstance(e, ChunkCompleted)]
    finals = [e for e in seen if isinstance(e, ChunksCompleted)]
    assert len(requested) == len(completed) == 5 and len(finals) == 1
    assert seen.index(finals[0]) > max(seen.index(e) for e in completed)
    # continuity: a beat's chunk 1 is requested after its chunk 0 completed, from that chunk's last frame
    for beat in (0, 1):
        done0 = next(i for i, e in enumerate(seen) if isinstance(e, ChunkCompleted) and e.beat_index == beat)
        req1 = next(i for i, e in enumerate(seen)
                    if isinstance(e, ChunkRequested) and (e.beat_index, e.chunk_index) == (beat, 1))
        assert done0 < req1
        assert seen[req1].init_frame == seen[done0].last_frame  # type: ignore[attr-defined]
        assert seen[req1].beat_offset_s == 5.0 and seen[req1].needed_duration_s == pytest.approx(0.5)  # type: ignore[attr-defined]
    final = finals[0]
    assert [(c.beat_index, c.chunk_index) for c in final.chunks] == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]
    assert [c.duration_s for c in final.chunks] == pytest.approx([5.0, 0.5, 5.0, 0.5, 5.0])
    assert final.plan == event.plan and final.spec == event.spec
    # the model was asked for its native chunk, told what will be kept and which beat it is
    assert len(video.requests) == 5
    by_chunk = {(r.beat_index, r.beat_offset_s): r for r in video.requests}
    assert by_chunk[(0, 5.0)].needed_duration_s == pytest.approx(0.5)
    assert by_chunk[(0, 5.0)].duration_s == 5.0 and by_chunk[(0, 5.0)].camera_movement == "dolly_in"
    assert {r.seed for r in video.requests} == {event.spec.seed}
    # stored media: house-format chunks of exact length, PNG last frames, one cost entry per chunk
    blobs = ports.blobs
    assert isinstance(blobs, FakeObjectStore)
    assert sorted(k for k in blobs.objects if "/chunks/" in k) == sorted(
        [keys.chunk_key(GID, b, c) for b, c in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]]
        + [keys.last_frame_key(GID, b, c) for b, c in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]]
    )
    short = tmp_path / "short.mp4"
    short.write_bytes(await blobs.get_bytes(keys.chunk_key(GID, 1, 1)))
    info = await probe(short)
    assert (info.frames, info.width, info.height, info.video_codec, info.has_audio) == (15, 72, 128, "h264", False)
    doc = await ports.docs.get(GID)
    assert doc is not None
    assert sorted(doc["chunks"]) == ["0-0", "0-1", "1-0", "1-1", "2-0"]
    assert sorted(doc["chunking"]["done"]) == ["0-0", "0-1", "1-0", "1-1", "2-0"]
    assert sorted(doc["costs"]) == ["chunk:0-0", "chunk:0-1", "chunk:1-0", "chunk:1-1", "chunk:2-0"]
    progress = [e for e in seen if isinstance(e, StageProgress) and e.item != "planned"]
    assert sorted(p.item for p in progress) == ["0-0", "0-1", "1-0", "1-1", "2-0"]
    assert max(p.done for p in progress) == 5


async def test_last_beat_burns_the_cta_but_its_last_frame_stays_clean(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path, long_side=320)  # 180×320: big enough to see the card
    await drive(ports, event)
    path = tmp_path / "last-beat.mp4"
    path.write_bytes(await ports.blobs.get_bytes(keys.chunk_key(GID, 2, 0)))
    frames = await read_frames(path, 180, 320)
    clean = decode_image(await ports.blobs.get_bytes(keys.last_frame_key(GID, 2, 0)))
    burnt = frames[-1].astype(int)
    card_rows = slice(int(320 * 0.6), int(320 * 0.8))
    assert np.abs(burnt[card_rows] - clean[card_rows].astype(int)).mean() > 20  # the card is in the video
    assert np.abs(burnt[:100] - clean[:100].astype(int)).mean() < 6  # elsewhere they are the same picture
    first_beat = tmp_path / "first.mp4"
    first_beat.write_bytes(await ports.blobs.get_bytes(keys.chunk_key(GID, 0, 0)))
    opening = await read_frames(first_beat, 180, 320)
    caption_rows = slice(int(320 * 0.6), int(320 * 0.8))
    assert np.abs(opening[75][caption_rows].astype(int) - opening[2][caption_rows].astype(int)).mean() > 3


async def test_redelivered_request_is_announced_not_rendered_again(tmp_path: Path) -> None:
    video = RecordingVideo()
    ports, event = await setup(tmp_path, video)
    requests = [e for e in await handle_storyboard_completed(event, ports) if isinstance(e, ChunkRequested)]
    (first,) = await handle_chunk_requested(requests[2], ports)
    assert isinstance(ports.blobs, FakeObjectStore)
    puts = ports.blobs.puts
    (again,) = await handle_chunk_requested(requests[2], ports)
    assert len(video.requests) == 1 and ports.blobs.puts == puts
    assert again.msg_id == first.msg_id and again == first.model_copy(update={"id": again.id,
                                                                            "occurred_at": again.occurred_at})
    out1 = await handle_chunk_completed(first, ports)  # type: ignore[arg-type]
    out2 = await handle_chunk_completed(first, ports)  # type: ignore[arg-type]
    assert [e.msg_id for e in out1] == [e.msg_id for e in out2]
    doc = await ports.docs.get(GID)
    assert doc is not None and doc["chunking"]["done"] == ["2-0"]


async def test_retry_round_resumes_each_beat_at_its_first_missing_chunk(tmp_path: Path) -> None:
    """Partial recovery: stored chunks are reused, each beat continues where it stopped, from the last frame
    of its last stored chunk; the fan-in counts chunks whose chunk.completed was never handled."""
    video = RecordingVideo()
    ports, event = await setup(tmp_path, video)
    requests = {(e.beat_index, e.chunk_index): e for e in await handle_storyboard_completed(event, ports)
                if isinstance(e, ChunkRequested)}
    (done_00,) = await handle_chunk_requested(requests[(0, 0)], ports)
    await handle_chunk_completed(done_00, ports)  # type: ignore[arg-type]
    await handle_chunk_requested(requests[(2, 0)], ports)  # stored, but its fan-in never ran
    rendered = len(video.requests)

    retry = event.model_copy(update={"attempt": 1, "id": "01JD3Z8K7Q2W4E6R8T0Y2U4I9Z"})
    out = await handle_storyboard_completed(retry, ports)
    resumed = [e for e in out if isinstance(e, ChunkRequested)]
    assert [(e.beat_index, e.chunk_index) for e in resumed] == [(0, 1), (1, 0)]
    assert resumed[0].init_frame == done_00.last_frame  # type: ignore[attr-defined]
    assert all(e.attempt == 1 and e.msg_id.endswith(":r1") for e in out)
    doc = await ports.docs.get(GID)
    assert doc is not None and sorted(doc["chunking"]["done"]) == ["0-0", "2-0"]

    seen = [*out]
    for request in resumed:
        seen += await drive(ports, request)
    finals = [e for e in seen if isinstance(e, ChunksCompleted)]
    assert len(finals) == 1 and len(finals[0].chunks) == 5
    assert len(video.requests) == rendered + 3  # only 0-1, 1-0 and 1-1 were rendered again


async def test_retry_round_with_every_chunk_stored_goes_straight_to_the_fan_in(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    await drive(ports, event)
    out = await handle_storyboard_completed(event.model_copy(update={"attempt": 1}), ports)
    assert [type(e) for e in out] == [StageProgress, ChunksCompleted]


async def test_model_failures_fail_or_retry_with_the_reason(tmp_path: Path) -> None:
    video = RecordingVideo(fail_with=PermanentProviderError("prompt refused by the provider", detail="422"))
    ports, event = await setup(tmp_path, video)
    request = next(e for e in await handle_storyboard_completed(event, ports) if isinstance(e, ChunkRequested))
    with pytest.raises(PermanentError) as failed:
        await handle_chunk_requested(request, ports)
    assert "beat 0 chunk 0" in failed.value.reason and "prompt refused" in failed.value.reason
    assert failed.value.detail == "422"
    video.fail_with = TransientProviderError("HTTP 503")
    with pytest.raises(TransientError, match="HTTP 503"):
        await handle_chunk_requested(request, ports)
    assert not [k for k in ports.blobs.objects if "/chunks/" in k]  # type: ignore[attr-defined]
    assert not list((tmp_path / "work").rglob("*.mkv"))  # scratch files are cleaned up


@dataclass
class CodedVideo:
    """A model whose frame i spells i; like real i2v models it repeats the init frame first."""

    frames: int
    name: str = "coded-video"
    chunk_duration_s: float = 1.0

    async def animate(self, request: VideoRequest) -> VideoResult:
        path = request.workdir / "coded.mkv"
        with RawVideoWriter(path, request.size.width, request.size.height, request.fps) as writer:
            for i in range(self.frames):
                writer.write(frame(1, i, request.size.width, request.size.height))
        return VideoResult(model=self.name, cost_usd=0.05, path=path)


async def test_continuation_drops_a_repeated_init_frame_and_short_clips_are_retried(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path, CodedVideo(frames=31), long_side=160)  # 90×160
    ports.settings = ChunkerSettings(workdir=str(tmp_path / "work"))
    request = next(e for e in await handle_storyboard_completed(event, ports) if isinstance(e, ChunkRequested))
    follow_up = request.model_copy(update={"chunk_index": 1, "beat_offset_s": 1.0, "needed_duration_s": 1.0})
    (done,) = await handle_chunk_requested(follow_up, ports)
    assert isinstance(done, ChunkCompleted) and done.cost_usd == 0.05
    path = tmp_path / "c.mp4"
    path.write_bytes(await ports.blobs.get_bytes(done.video.key))
    codes = [decode(f)[1] for f in await read_frames(path, 90, 160)]
    assert codes == list(range(1, 31))  # the repeated init frame is gone
    doc = await ports.docs.get(GID)
    assert doc is not None and doc["costs"]["chunk:0-1"]["usd"] == 0.05

    ports.video = CodedVideo(frames=10)
    fresh = follow_up.model_copy(update={"beat_index": 1})
    with pytest.raises(TransientProviderError, match=r"needs 1\.00s"):
        await handle_chunk_requested(fresh, ports)


async def test_missing_storyboard_frame_or_init_frame_fails_the_generation(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    with pytest.raises(PermanentError, match=r"no frame for beat\(s\) \[2\]"):
        await handle_storyboard_completed(event.model_copy(update={"frames": event.frames[:2]}), ports)
    request = next(e for e in await handle_storyboard_completed(event, ports) if isinstance(e, ChunkRequested))
    await ports.blobs.delete(request.init_frame.key)
    with pytest.raises(PermanentError, match="init frame"):
        await handle_chunk_requested(request, ports)


async def test_work_for_a_generation_past_chunking_is_dropped(tmp_path: Path) -> None:
    video = RecordingVideo()
    ports, event = await setup(tmp_path, video)
    request = next(e for e in await handle_storyboard_completed(event, ports) if isinstance(e, ChunkRequested))
    await ports.docs.advance(GID, "stitching")
    assert await handle_chunk_requested(request, ports) == []
    assert await handle_storyboard_completed(event, ports) == []
    assert video.requests == []
