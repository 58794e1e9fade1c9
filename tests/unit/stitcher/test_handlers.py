"""Stitcher handler with fakes of the storage ports and real (tiny) media."""

import asyncio
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
from admint.media.probe import probe
from admint.providers.ports import MusicRequest, MusicResult
from admint.stitcher.config import StitcherSettings
from admint.stitcher.handlers import Ports, handle_chunks_completed
from admint.stitcher.offline_music import OfflineMusicModel
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.support.framecode import HEIGHT, WIDTH, make_clip

pytestmark = pytest.mark.unit
GID = "G01STITCHTEST"


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
                          **kw)  # type: ignore[arg-type]


class BrokenMusic:
    name = "broken-music"

    async def compose(self, request: MusicRequest) -> MusicResult:
        raise RuntimeError("the synth caught fire")


CLIPS: dict[tuple[int, int], Path] = {}


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    CLIPS.clear()
    return tmp_path_factory.mktemp("clips")


async def cached_clip(directory: Path, tag: int, frames: int) -> Path:
    """Clips are made once per module: the handler never modifies its inputs."""
    if (tag, frames) not in CLIPS:
        CLIPS[(tag, frames)] = await asyncio.to_thread(make_clip, directory / f"{tag}-{frames}.mp4", tag, frames)
    return CLIPS[(tag, frames)]


async def seed_chunks(blobs: FakeObjectStore, tmp: Path, layout: list[list[int]]) -> list[ChunkRef]:
    refs = []
    for b, chunks in enumerate(layout):
        for c, n in enumerate(chunks):
            path = await cached_clip(tmp, b + 1, n)
            ref = await blobs.put_file(keys.chunk_key(GID, b, c), path, "video/mp4")
            refs.append(ChunkRef(beat_index=b, chunk_index=c, video=ref, duration_s=n / 30))
    return refs


Setup = tuple[FakeGenerationStore, FakeObjectStore, ChunksCompleted]


@pytest.fixture
async def setup(clip_dir: Path) -> Setup:
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    await docs.create(GID, {"status": "chunking"})
    docs.docs[GID]["status"] = "chunking"
    refs = await seed_chunks(blobs, clip_dir, [[165], [165], [150]])
    event = ChunksCompleted(generation_id=GID, producer="chunker", spec=spec(), plan=plan([5, 5, 5]), chunks=refs)
    return docs, blobs, event


def ports(docs: FakeGenerationStore, blobs: FakeObjectStore, tmp: Path, music: object = None) -> Ports:
    settings = StitcherSettings(workdir=str(tmp / "work"))
    return Ports(docs=docs, blobs=blobs, music=music if music is not None else OfflineMusicModel(),  # type: ignore[arg-type]
                 settings=settings)


async def test_master_is_stored_with_music_and_the_event_says_so(setup: Setup, tmp_path: Path) -> None:
    docs, blobs, event = setup
    (out,) = await handle_chunks_completed(event, ports(docs, blobs, tmp_path))
    assert isinstance(out, StitchCompleted)
    assert out.causation_id == event.id and out.master.key == keys.master_key(GID)
    assert out.has_audio and out.music_error is None and out.music_model == "offline-music"
    assert out.duration_s == pytest.approx(15.0)
    master = tmp_path / "master.mp4"
    master.write_bytes(await blobs.get_bytes(out.master.key))
    assert hashlib.sha256(master.read_bytes()).hexdigest() == out.master.sha256
    info = await probe(master)
    assert info.frames == 450 and info.has_audio and info.audio_rate == 48000 and info.faststart
    doc = docs.docs[GID]
    assert doc["status"] == "stitching"
    assert doc["master"]["frames"] == 450 and doc["master"]["encoded_frames"] == 30
    assert doc["master"]["music_error"] is None
    assert doc["costs"]["music"]["model"] == "offline-music"
    assert await blobs.exists(keys.music_key(GID))
    scratch = tmp_path / "work" / "stitcher" / GID
    assert not scratch.exists() or not any(scratch.iterdir())  # scratch files are removed


async def test_broken_music_delivers_a_silent_master_and_records_why(setup: Setup, tmp_path: Path) -> None:
    docs, blobs, event = setup
    (out,) = await handle_chunks_completed(event, ports(docs, blobs, tmp_path, BrokenMusic()))
    assert not out.has_audio
    assert out.music_error and "synth caught fire" in out.music_error
    assert docs.docs[GID]["master"]["music_error"] == out.music_error
    assert not await blobs.exists(keys.music_key(GID))


async def test_music_off_in_the_request_means_no_bed_and_no_error(setup: Setup, tmp_path: Path) -> None:
    docs, blobs, event = setup
    event = event.model_copy(update={"spec": spec(music=False)})
    (out,) = await handle_chunks_completed(event, ports(docs, blobs, tmp_path))
    assert not out.has_audio and out.music_error is None and out.music_model is None


async def test_redelivery_republishes_the_same_event_without_redoing_the_work(setup: Setup, tmp_path: Path) -> None:
    docs, blobs, event = setup
    p = ports(docs, blobs, tmp_path)
    (first,) = await handle_chunks_completed(event, p)
    puts = blobs.puts
    (again,) = await handle_chunks_completed(event, p)
    assert again.msg_id == first.msg_id and again.master == first.master
    assert blobs.puts == puts
    docs.docs[GID]["status"] = "exporting"
    assert await handle_chunks_completed(event, p) == []


async def test_hard_cuts(setup: Setup, clip_dir: Path, tmp_path: Path) -> None:
    docs, blobs, event = setup
    refs = await seed_chunks(blobs, clip_dir, [[150], [150], [150]])
    event = event.model_copy(update={"chunks": refs, "spec": spec(transition=Transition(kind="cut"))})
    await handle_chunks_completed(event, ports(docs, blobs, tmp_path))
    assert docs.docs[GID]["master"]["encoded_frames"] == 0 and docs.docs[GID]["master"]["frames"] == 450


async def test_missing_or_uncovered_chunks_fail_permanently(setup: Setup, tmp_path: Path) -> None:
    docs, blobs, event = setup
    with pytest.raises(PermanentError, match="do not cover"):
        await handle_chunks_completed(event.model_copy(update={"chunks": event.chunks[:2]}),
                                      ports(docs, blobs, tmp_path))
    gone = event.chunks[1].video.key
    await blobs.delete(gone)
    with pytest.raises(PermanentError, match="missing"):
        await handle_chunks_completed(event, ports(docs, blobs, tmp_path))


async def test_a_beat_far_from_its_planned_length_fails_with_the_frame_counts(
    setup: Setup, clip_dir: Path, tmp_path: Path
) -> None:
    docs, blobs, event = setup
    refs = await seed_chunks(blobs, clip_dir, [[165], [165], [60]])  # last beat 2 s instead of 5
    event = event.model_copy(update={"chunks": refs})
    with pytest.raises(PermanentError, match="beat 2 has 60 frames, needs 150"):
        await handle_chunks_completed(event, ports(docs, blobs, tmp_path))


async def test_a_beat_a_few_frames_off_is_fitted_to_the_exact_length(
    setup: Setup, clip_dir: Path, tmp_path: Path
) -> None:
    docs, blobs, event = setup
    refs = await seed_chunks(blobs, clip_dir, [[167], [163], [148]])
    event = event.model_copy(update={"chunks": refs})
    (out,) = await handle_chunks_completed(event, ports(docs, blobs, tmp_path))
    assert out.duration_s == pytest.approx(15.0) and docs.docs[GID]["master"]["frames"] == 450
