"""Stitcher handler with fakes of every port (stores, music model, encoder): no ffmpeg, no servers.

The real encoder is tested in test_encoder.py (and the smart render itself in test_render.py).
"""

import hashlib
from pathlib import Path

import pytest

from admint.contracts.chunks import ChunkRef, ChunksCompleted
from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationSpec, Transition
from admint.contracts.plan import Beat, MusicSpec, Plan, Style
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.errors import PermanentError
from admint.stitcher.config import StitcherSettings
from admint.stitcher.handlers import Ports, handle_chunks_completed
from admint.stitcher.timeline import TimelineError
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.stitcher.fakes import FakeMusic, FakeStitchEncoder

pytestmark = pytest.mark.unit
GID = "G01STITCHTEST"
WIDTH, HEIGHT = 96, 160


def plan(durations: list[int]) -> Plan:
    beats, start = [], 0
    for i, d in enumerate(durations):
        beats.append(Beat(index=i, beat_id=f"b{i}", role="benefit", start_s=start, duration_s=d,  # type: ignore[arg-type]
                          shot_type="medium", camera_movement="static", action="a", prompt="p", caption=f"c{i}"))
        start += d
    return Plan(archetype="a", framework="AIDA", duration_s=sum(durations), beats=beats,
                style=Style(palette=["#112233", "#445566"]), music=MusicSpec(mood="uplifting", tempo_bpm=120),
                call_to_action="Buy now", planner_model="offline-planner")


def spec(**kw: object) -> GenerationSpec:
    return GenerationSpec(brief="a tiny test ad", duration_s=15, size=FrameSize(width=WIDTH, height=HEIGHT),
                          seed=11, **kw)  # type: ignore[arg-type]


async def seed_chunks(blobs: FakeObjectStore, layout: list[list[int]]) -> list[ChunkRef]:
    refs = []
    for b, chunks in enumerate(layout):
        for c, n in enumerate(chunks):
            ref = await blobs.put_bytes(keys.chunk_key(GID, b, c), f"chunk {b}-{c}".encode(), "video/mp4")
            refs.append(ChunkRef(beat_index=b, chunk_index=c, video=ref, duration_s=n / 30))
    return refs


async def stitched(event: ChunksCompleted, ports: Ports) -> StitchCompleted:
    (out,) = await handle_chunks_completed(event, ports)
    assert isinstance(out, StitchCompleted)
    return out


class World:
    def __init__(self, tmp: Path, encoder: FakeStitchEncoder | None = None, music: object = "default",
                 **settings: object) -> None:
        self.docs, self.blobs = FakeGenerationStore(), FakeObjectStore()
        self.encoder = encoder or FakeStitchEncoder()
        self.music = FakeMusic() if music == "default" else music
        self.fake_music = self.music if isinstance(self.music, FakeMusic) else FakeMusic()
        self.workdir = tmp / "work"
        self.ports = Ports(docs=self.docs, blobs=self.blobs, music=self.music, encoder=self.encoder,  # type: ignore[arg-type]
                           settings=StitcherSettings(workdir=str(self.workdir), **settings))  # type: ignore[arg-type]

    async def start(self, layout: list[list[int]] | None = None, **spec_kw: object) -> ChunksCompleted:
        await self.docs.create(builders.generation(GID, status="chunking", spec=spec(**spec_kw)))
        refs = await seed_chunks(self.blobs, layout or [[165], [165], [150]])
        return ChunksCompleted(generation_id=GID, producer="chunker", spec=spec(**spec_kw), plan=plan([5, 5, 5]),
                               chunks=refs)


async def test_master_and_bed_are_stored_recorded_and_announced(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start()
    out = await stitched(event, w.ports)
    assert out.causation_id == event.id and out.producer == "stitcher" and out.spec == event.spec
    assert out.master.key == keys.master_key(GID)
    assert out.master.sha256 == hashlib.sha256(await w.blobs.get_bytes(out.master.key)).hexdigest()
    assert out.has_audio and out.music_error is None and out.music_model == "fake-music"
    assert out.duration_s == pytest.approx(15.0)
    # what the encoder was asked: the chunks on disk in order, each beat's frames with the 0.5 s overlap
    (job,) = w.encoder.jobs
    assert [c.id for c in job.clips] == ["0-0", "1-0", "2-0"]
    assert list(job.targets) == [165, 165, 150] and job.overlap == 15 and job.max_fit == 15
    assert (job.width, job.height, job.fps) == (WIDTH, HEIGHT, 30)
    (request,) = w.fake_music.requests
    assert request.duration_s == pytest.approx(15.0) and request.seed == 11 and request.music.tempo_bpm == 120
    assert [d for _, d in w.encoder.beds] == [pytest.approx(15.0)]
    doc = await w.docs.get(GID)
    assert doc is not None and doc.status == "stitching" and doc.master is not None
    assert doc.master.video == out.master and doc.master.frames == 450 and doc.master.duration_s == 15.0
    assert (doc.master.encoded_frames, doc.master.copied_frames, doc.master.transition_windows) == (30, 420, 2)
    assert doc.master.music_model == "fake-music" and doc.master.music_error is None
    assert doc.costs["music"].model == "fake-music" and doc.costs["music"].usd == 0.02
    assert doc.master.music is not None and doc.master.music.key == keys.music_key(GID)
    assert await w.blobs.get_bytes(keys.music_key(GID)) == b"bed of track"
    scratch = w.workdir / "stitcher" / GID
    assert not scratch.exists() or not any(scratch.iterdir())  # scratch files are removed


async def test_broken_music_delivers_a_silent_master_and_records_why(tmp_path: Path) -> None:
    w = World(tmp_path, music=FakeMusic(RuntimeError("the synth caught fire")))
    out = await stitched(await w.start(), w.ports)
    assert not out.has_audio
    assert out.music_error == "music failed: the synth caught fire" and out.music_model == "fake-music"
    doc = await w.docs.get(GID)
    assert doc is not None and doc.master is not None and doc.master.music_error == out.music_error
    assert doc.master.music is None and not await w.blobs.exists(keys.music_key(GID))


async def test_a_bed_that_cannot_be_mixed_also_leaves_the_ad_silent(tmp_path: Path) -> None:
    w = World(tmp_path, encoder=FakeStitchEncoder(bed_error=RuntimeError("loudnorm failed")))
    out = await stitched(await w.start(), w.ports)
    assert not out.has_audio and out.music_error == "music failed: loudnorm failed"
    doc = await w.docs.get(GID)
    assert doc is not None and doc.costs["music"].usd == 0.02  # the composed track was paid for


async def test_music_off_in_the_request_means_no_bed_and_no_error(tmp_path: Path) -> None:
    w = World(tmp_path)
    out = await stitched(await w.start(music=False), w.ports)
    assert not out.has_audio and out.music_error is None and out.music_model is None
    assert w.fake_music.requests == []


async def test_without_a_music_model_the_ad_is_silent_with_the_reason(tmp_path: Path) -> None:
    w = World(tmp_path, music=None)
    out = await stitched(await w.start(), w.ports)
    assert not out.has_audio and out.music_error == "no music model is configured"


async def test_redelivery_republishes_the_stored_master_without_redoing_the_work(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start()
    first = await stitched(event, w.ports)
    puts = w.blobs.puts
    again = await stitched(event, w.ports)
    assert again == first.model_copy(update={"id": again.id, "occurred_at": again.occurred_at})
    assert again.msg_id == first.msg_id
    assert len(w.encoder.jobs) == 1 and w.blobs.puts == puts
    await w.docs.enter(GID, "exporting")  # the pipeline moved on
    assert await handle_chunks_completed(event, w.ports) == []


async def test_a_stored_record_whose_master_object_is_gone_is_rendered_again(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start()
    await handle_chunks_completed(event, w.ports)
    await w.blobs.delete(keys.master_key(GID))
    out = await stitched(event, w.ports)
    assert len(w.encoder.jobs) == 2 and await w.blobs.exists(out.master.key)


async def test_a_terminal_generation_is_not_stitched(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start()
    await w.docs.fail(GID, "chunking", "cancelled elsewhere")
    assert await handle_chunks_completed(event, w.ports) == []
    assert w.encoder.jobs == [] and not await w.blobs.exists(keys.master_key(GID))


async def test_hard_cuts_ask_for_no_overlap(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start([[150], [150], [150]], transition=Transition(kind="cut"))
    out = await stitched(event, w.ports)
    (job,) = w.encoder.jobs
    assert list(job.targets) == [150, 150, 150] and job.overlap == 0
    assert out.duration_s == pytest.approx(15.0)


async def test_missing_or_uncovered_chunks_fail_permanently(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start()
    with pytest.raises(PermanentError, match="do not cover") as err:
        await handle_chunks_completed(event.model_copy(update={"chunks": event.chunks[:2]}), w.ports)
    assert "beats without chunks [2]" in (err.value.detail or "")
    await w.blobs.delete(event.chunks[1].video.key)
    with pytest.raises(PermanentError, match="chunk 1-0 is missing"):
        await handle_chunks_completed(event, w.ports)
    assert w.encoder.jobs == []


async def test_chunks_that_cannot_be_joined_fail_permanently_with_the_reason(tmp_path: Path) -> None:
    w = World(tmp_path, encoder=FakeStitchEncoder(error=TimelineError("beat 2 has 60 frames, needs 150")))
    with pytest.raises(PermanentError, match="cannot join the chunks: beat 2 has 60 frames, needs 150"):
        await handle_chunks_completed(await w.start(), w.ports)
    doc = await w.docs.get(GID)
    assert doc is not None and doc.master is None


async def test_a_master_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    w = World(tmp_path, encoder=FakeStitchEncoder(frames=447))
    with pytest.raises(PermanentError, match=r"master has 447 frames, the plan needs 450 \(15s at 30 fps\)"):
        await handle_chunks_completed(await w.start(), w.ports)
    assert not await w.blobs.exists(keys.master_key(GID))


async def test_a_master_within_the_frame_tolerance_is_accepted(tmp_path: Path) -> None:
    w = World(tmp_path, encoder=FakeStitchEncoder(frames=449))
    out = await stitched(await w.start(), w.ports)
    assert out.duration_s == pytest.approx(449 / 30)


async def test_settings_reach_the_plan(tmp_path: Path) -> None:
    w = World(tmp_path, max_fit_s=0.2)
    await handle_chunks_completed(await w.start(), w.ports)
    assert w.encoder.jobs[0].max_fit == 6


class CancelledMidway(FakeStitchEncoder):
    """The owner cancels while the master is being rendered."""

    def __init__(self, docs: FakeGenerationStore) -> None:
        super().__init__()
        self.docs = docs

    async def render(self, job, music=None):  # type: ignore[no-untyped-def]
        await self.docs.enter(GID, "cancelled")
        return await super().render(job, music)


async def test_a_master_finished_after_a_cancel_is_listed_but_not_announced(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.ports.encoder = w.encoder = CancelledMidway(w.docs)
    event = await w.start()
    assert await handle_chunks_completed(event, w.ports) == []
    doc = await w.docs.get(GID)
    assert doc is not None and doc.status == "cancelled"
    assert doc.master is not None and doc.master.video.key == keys.master_key(GID)  # no orphan object


class StoreAway(FakeGenerationStore):
    async def record_cost(self, generation_id, entry):  # type: ignore[no-untyped-def]
        raise ConnectionError("the document store is restarting")


@pytest.mark.parametrize("trouble", ["store", "model"])
async def test_a_transient_trouble_on_the_music_path_retries_instead_of_a_silent_ad(tmp_path: Path,
                                                                                    trouble: str) -> None:
    """Found by the chaos soak: a MongoDB restart during the music bed's cost record shipped an ad without music."""
    from admint.core.errors import TransientProviderError

    music = FakeMusic(TransientProviderError("music model busy")) if trouble == "model" else "default"
    w = World(tmp_path, music=music)
    event = await w.start()
    if trouble == "store":
        w.ports.docs = StoreAway()
        w.ports.docs.docs = w.docs.docs
    with pytest.raises((ConnectionError, TransientProviderError)):
        await handle_chunks_completed(event, w.ports)
    assert not await w.blobs.exists(keys.master_key(GID))
