"""Chunker handlers with fakes of every port (store, objects, video model, encoder): no ffmpeg, no OpenCV.

What the real encoder does with a job is tested in test_encoder.py.
"""

import json
import random
from pathlib import Path

import pytest

from admint.chunker.config import ChunkerSettings
from admint.chunker.handlers import (
    Ports,
    handle_chunk_completed,
    handle_chunk_requested,
    handle_storyboard_completed,
)
from admint.contracts.chunks import ChunkCompleted, ChunkRequested, ChunksCompleted
from admint.contracts.common import CostEntry
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
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.chunker.fakes import FakeEncoder, FakeVideo

pytestmark = pytest.mark.unit

GID = builders.GID
ITEMS = ["0-0", "0-1", "1-0", "1-1", "2-0"]


async def setup(tmp_path: Path, video: FakeVideo | None = None, duration_s: int = 15, long_side: int = 128,
                ) -> tuple[Ports, StoryboardCompleted]:
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    spec = builders.spec(duration_s, long_side=long_side)
    plan = builders.plan(duration_s)
    await docs.create(builders.generation(GID, spec=spec, plan=plan))
    await docs.enter(GID, "storyboarding")
    frames = []
    for beat in plan.beats:
        ref = await blobs.put_bytes(keys.storyboard_key(GID, beat.index), f"frame {beat.index}".encode(),
                                    "image/png")
        frames.append(FrameRef(beat_index=beat.index, image=ref))
    event = StoryboardCompleted(generation_id=GID, producer="storyboard", spec=spec, plan=plan, frames=frames)
    ports = Ports(docs=docs, blobs=blobs, video=video or FakeVideo(), encoder=FakeEncoder(),
                  settings=ChunkerSettings(workdir=str(tmp_path / "work")))
    return ports, event


def parts(ports: Ports) -> tuple[FakeGenerationStore, FakeObjectStore, FakeVideo, FakeEncoder]:
    assert isinstance(ports.docs, FakeGenerationStore) and isinstance(ports.blobs, FakeObjectStore)
    assert isinstance(ports.video, FakeVideo) and isinstance(ports.encoder, FakeEncoder)
    return ports.docs, ports.blobs, ports.video, ports.encoder


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


async def first_requests(ports: Ports, event: StoryboardCompleted) -> dict[tuple[int, int], ChunkRequested]:
    return {(e.beat_index, e.chunk_index): e for e in await handle_storyboard_completed(event, ports)
            if isinstance(e, ChunkRequested)}


async def test_storyboard_fans_out_the_first_chunk_of_every_beat(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    out = await handle_storyboard_completed(event, ports)
    progress, *rest = out
    assert isinstance(progress, StageProgress) and (progress.stage, progress.total) == ("chunking", 5)
    requests = [r for r in rest if isinstance(r, ChunkRequested)]
    assert requests == rest
    assert [(r.beat_index, r.chunk_index, r.chunk_count) for r in requests] == [(0, 0, 2), (1, 0, 2), (2, 0, 1)]
    first = requests[0]
    assert first.init_frame == event.frames[0].image
    assert (first.requested_duration_s, first.needed_duration_s, first.beat_length_s) == (5.0, 5.0, 5.5)
    assert (first.caption, first.call_to_action) == ("Caption 0", "")
    last = requests[-1]
    assert (last.beat_length_s, last.call_to_action) == (5.0, "Refill the planet")
    doc = await ports.docs.get(GID)
    assert doc is not None and doc.status == "chunking"
    assert doc.chunking.planned is not None
    assert doc.chunking.planned.model_dump() == {"model": "fake-video", "chunk_duration_s": 5.0, "total": 5,
                                                 "beats": {"0": 2, "1": 2, "2": 1}}
    again = await handle_storyboard_completed(event, ports)  # redelivery: same events, same dedup ids
    assert [e.msg_id for e in again] == [e.msg_id for e in out]


async def test_a_redelivery_keeps_the_chunk_length_it_planned_with(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    out = await handle_storyboard_completed(event, ports)
    ports.video = FakeVideo(name="other-video", chunk_duration_s=2.0)  # another replica, another model
    again = await handle_storyboard_completed(event, ports)
    assert [e.msg_id for e in again] == [e.msg_id for e in out]
    requests = [e for e in again if isinstance(e, ChunkRequested)]
    assert [(r.requested_duration_s, r.chunk_count) for r in requests] == [(5.0, 2), (5.0, 2), (5.0, 1)]
    doc = await ports.docs.get(GID)
    assert doc is not None and doc.chunking.planned is not None
    assert (doc.chunking.planned.model, doc.chunking.planned.chunk_duration_s) == ("fake-video", 5.0)


async def test_whole_generation_chunks_in_order_with_continuity(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path, FakeVideo(cost_usd=0.25))
    _, blobs, video, encoder = parts(ports)
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
    # each chunk is cut to the frames it contributes, at the spec's size; a continuation drops the repeated init
    jobs = encoder.by_chunk
    assert {k: (j.frames, j.skip_frames) for k, j in jobs.items()} == {
        (0, 0.0): (150, 0), (0, 5.0): (15, 1), (1, 0.0): (150, 0), (1, 5.0): (15, 1), (2, 0.0): (150, 0)}
    assert {(j.width, j.height, j.fps) for j in jobs.values()} == {(72, 128, 30)}
    # stored: the encoder's chunk and last frame under deterministic keys, listed and costed once per chunk
    pairs = [(int(i[0]), int(i[2])) for i in ITEMS]
    assert sorted(k for k in blobs.objects if "/chunks/" in k) == sorted(
        [keys.chunk_key(GID, b, c) for b, c in pairs] + [keys.last_frame_key(GID, b, c) for b, c in pairs])
    stored = json.loads(await blobs.get_bytes(keys.chunk_key(GID, 1, 1)))
    assert (stored["frames"], stored["source"]["beat"]) == (15, 1)
    doc = await ports.docs.get(GID)
    assert doc is not None
    assert sorted(doc.chunking.chunks) == ITEMS and sorted(doc.chunking.done) == ITEMS
    entry = doc.chunking.chunks["1-1"]
    assert (entry.duration_s, entry.requested_duration_s, entry.model, entry.cost_usd) == (
        pytest.approx(0.5), 5.0, "fake-video", 0.25)
    assert entry.video == next(e.video for e in completed if (e.beat_index, e.chunk_index) == (1, 1))
    assert sorted(doc.costs) == [f"chunk:{i}" for i in ITEMS]
    assert doc.costs["chunk:1-1"] == CostEntry(key="chunk:1-1", stage="chunking", model="fake-video", units=5.0,
                                               usd=0.25)
    progress = [e for e in seen if isinstance(e, StageProgress) and e.item != "planned"]
    assert sorted(p.item for p in progress) == ITEMS
    assert max(p.done for p in progress) == 5


async def test_captions_cta_and_transition_keyframes_reach_the_encoder(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    await drive(ports, event)
    jobs = parts(ports)[3].by_chunk
    windows = {k: [(w.kind, w.text) for w in j.overlays] for k, j in jobs.items()}
    assert windows == {
        (0, 0.0): [("caption", "Caption 0")],
        (0, 5.0): [],  # the crossfade tail carries no caption
        (1, 0.0): [("caption", "Caption 1")],
        (1, 5.0): [],
        (2, 0.0): [("caption", "Caption 2"), ("cta", "Refill the planet")],  # the last beat closes with the CTA
    }
    cta = jobs[(2, 0.0)].overlays[1]
    assert (cta.start_s, cta.end_s, cta.fade_out_s) == (2.5, 5.0, 0.0)  # held to the last frame
    assert jobs[(0, 5.0)].beat_offset_s == 5.0  # the overlay timeline is the beat's
    # the end of the incoming crossfade (0.5 s = frame 15) is a forced keyframe after the first beat
    assert {k: j.keyframes for k, j in jobs.items()} == {
        (0, 0.0): (), (0, 5.0): (), (1, 0.0): (15,), (1, 5.0): (), (2, 0.0): (15,)}


async def test_redelivered_request_is_announced_not_rendered_again(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    _, blobs, video, encoder = parts(ports)
    requests = await first_requests(ports, event)
    (first,) = await handle_chunk_requested(requests[(2, 0)], ports)
    puts = blobs.puts
    (again,) = await handle_chunk_requested(requests[(2, 0)], ports)
    assert len(video.requests) == len(encoder.jobs) == 1 and blobs.puts == puts
    assert again.msg_id == first.msg_id and again == first.model_copy(update={"id": again.id,
                                                                            "occurred_at": again.occurred_at})
    assert isinstance(first, ChunkCompleted)
    out1 = await handle_chunk_completed(first, ports)
    out2 = await handle_chunk_completed(first, ports)
    assert [e.msg_id for e in out1] == [e.msg_id for e in out2]
    doc = await ports.docs.get(GID)
    assert doc is not None and doc.chunking.done == ["2-0"]


async def test_stored_objects_without_a_document_entry_are_announced_from_the_objects(tmp_path: Path) -> None:
    """A crash between storing a chunk and listing it: the objects are announced, with the recorded cost."""
    ports, event = await setup(tmp_path, FakeVideo(cost_usd=0.4))
    docs, _, video, _ = parts(ports)
    request = (await first_requests(ports, event))[(1, 0)]
    (first,) = await handle_chunk_requested(request, ports)
    del docs.docs[GID]["chunking"]["chunks"]["1-0"]  # stored and costed, never listed
    (again,) = await handle_chunk_requested(request, ports)
    assert len(video.requests) == 1
    assert again == first.model_copy(update={"id": again.id, "occurred_at": again.occurred_at})
    del docs.docs[GID]["costs"]["chunk:1-0"]  # …nor costed: the replica's model, free
    (bare,) = await handle_chunk_requested(request, ports)
    assert isinstance(bare, ChunkCompleted) and (bare.model, bare.cost_usd) == ("fake-video", 0.0)
    assert isinstance(first, ChunkCompleted) and bare.video == first.video and len(video.requests) == 1


async def test_retry_round_resumes_each_beat_at_its_first_missing_chunk(tmp_path: Path) -> None:
    """Partial recovery: stored chunks are reused, each beat continues where it stopped, from the last frame
    of its last stored chunk; the fan-in counts chunks whose chunk.completed was never handled."""
    ports, event = await setup(tmp_path)
    video = parts(ports)[2]
    requests = await first_requests(ports, event)
    (done_00,) = await handle_chunk_requested(requests[(0, 0)], ports)
    assert isinstance(done_00, ChunkCompleted)
    await handle_chunk_completed(done_00, ports)
    await handle_chunk_requested(requests[(2, 0)], ports)  # stored, but its fan-in never ran
    rendered = len(video.requests)

    retry = event.model_copy(update={"attempt": 1, "id": "01JD3Z8K7Q2W4E6R8T0Y2U4I9Z"})
    out = await handle_storyboard_completed(retry, ports)
    resumed = [e for e in out if isinstance(e, ChunkRequested)]
    assert [(e.beat_index, e.chunk_index) for e in resumed] == [(1, 0), (0, 1)]  # most left to render first
    assert resumed[1].init_frame == done_00.last_frame
    assert all(e.attempt == 1 and e.msg_id.endswith(":r1") for e in out)
    progress = out[0]
    assert isinstance(progress, StageProgress) and progress.done == 2
    doc = await ports.docs.get(GID)
    assert doc is not None and sorted(doc.chunking.done) == ["0-0", "2-0"]

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
    final = out[1]
    assert isinstance(final, ChunksCompleted) and len(final.chunks) == 5


async def test_model_failures_fail_or_retry_with_the_reason(tmp_path: Path) -> None:
    video = FakeVideo(fail_with=PermanentProviderError("prompt refused by the provider", detail="422"))
    ports, event = await setup(tmp_path, video)
    request = (await first_requests(ports, event))[(0, 0)]
    with pytest.raises(PermanentError) as failed:
        await handle_chunk_requested(request, ports)
    assert "beat 0 chunk 0" in failed.value.reason and "prompt refused" in failed.value.reason
    assert failed.value.detail == "422"
    video.fail_with = TransientProviderError("HTTP 503")
    with pytest.raises(TransientError, match="HTTP 503"):
        await handle_chunk_requested(request, ports)
    assert not [k for k in parts(ports)[1].objects if "/chunks/" in k]
    assert not [p for p in (tmp_path / "work").rglob("*") if p.is_file()]  # scratch files are cleaned up


async def test_continuation_drops_a_repeated_init_frame_and_short_clips_are_retried(tmp_path: Path) -> None:
    video = FakeVideo(frames=31, chunk_duration_s=1.0, cost_usd=0.05)
    ports, event = await setup(tmp_path, video)
    encoder = parts(ports)[3]
    request = (await first_requests(ports, event))[(0, 0)]
    follow_up = request.model_copy(update={"chunk_index": 1, "beat_offset_s": 1.0, "needed_duration_s": 1.0})
    (done,) = await handle_chunk_requested(follow_up, ports)
    assert isinstance(done, ChunkCompleted) and done.cost_usd == 0.05
    assert (encoder.jobs[-1].skip_frames, encoder.jobs[-1].frames) == (1, 30)  # the repeated init frame goes
    doc = await ports.docs.get(GID)
    assert doc is not None and doc.costs["chunk:0-1"].usd == 0.05

    await handle_chunk_requested(request.model_copy(update={"beat_index": 1}), ports)
    assert encoder.jobs[-1].skip_frames == 0  # a beat's first chunk keeps its first frame
    video.repeats_init_frame = False
    await handle_chunk_requested(follow_up.model_copy(update={"beat_index": 2}), ports)
    assert encoder.jobs[-1].skip_frames == 0  # a model that starts after its init frame loses nothing

    video.frames, video.repeats_init_frame = 10, True
    with pytest.raises(TransientProviderError, match=r"returned 0\.30s .* needs 1\.00s"):
        await handle_chunk_requested(follow_up.model_copy(update={"beat_index": 3}), ports)
    video.frames = 23  # 22 frames after the skip: 0.27 s short, more than max_short_s (0.25 s)
    with pytest.raises(TransientProviderError, match=r"needs 1\.00s"):
        await handle_chunk_requested(follow_up.model_copy(update={"beat_index": 4}), ports)
    video.frames = 24  # 23 frames: 0.23 s short, within max_short_s (the encoder pads it)
    (padded,) = await handle_chunk_requested(follow_up.model_copy(update={"beat_index": 5}), ports)
    assert isinstance(padded, ChunkCompleted) and encoder.jobs[-1].frames == 30


async def test_missing_storyboard_frame_or_init_frame_fails_the_generation(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    with pytest.raises(PermanentError, match=r"no frame for beat\(s\) \[2\]"):
        await handle_storyboard_completed(event.model_copy(update={"frames": event.frames[:2]}), ports)
    request = (await first_requests(ports, event))[(0, 0)]
    await ports.blobs.delete(request.init_frame.key)
    with pytest.raises(PermanentError, match="init frame of chunk 0-0 is missing"):
        await handle_chunk_requested(request, ports)


async def test_work_for_a_generation_past_chunking_is_dropped(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    video = parts(ports)[2]
    requests = await first_requests(ports, event)
    (done,) = await handle_chunk_requested(requests[(2, 0)], ports)
    assert isinstance(done, ChunkCompleted)
    await ports.docs.enter(GID, "stitching")
    assert await handle_chunk_requested(requests[(0, 0)], ports) == []
    assert await handle_storyboard_completed(event, ports) == []
    assert await handle_chunk_completed(done, ports) == []  # recorded, but nothing follows
    assert len(video.requests) == 1


async def test_a_completed_chunk_of_an_unplanned_generation_is_a_permanent_error(tmp_path: Path) -> None:
    ports, event = await setup(tmp_path)
    requests = await first_requests(ports, event)
    (done,) = await handle_chunk_requested(requests[(0, 0)], ports)
    assert isinstance(done, ChunkCompleted)
    unplanned = done.model_copy(update={"generation_id": "GEN-UNPLANNED"})
    await ports.docs.create(builders.generation("GEN-UNPLANNED", status="storyboarding"))
    with pytest.raises(PermanentError, match="no chunk plan"):
        await handle_chunk_completed(unplanned, ports)
