"""Scorer handlers with fakes of the ports: what is scored, recorded and announced, and what is not."""

from pathlib import Path

import pytest

from admint.contracts.chunks import CaptionShown, ChunkCompleted
from admint.contracts.export import ExportCompleted
from admint.contracts.quality import QualityScored
from admint.contracts.stitch import StitchCompleted
from admint.scorer.handlers import handle_chunk_completed, handle_export_completed, handle_stitch_completed
from admint.scorer.ports import Joins
from tests.support import builders
from tests.support.builders import GID
from tests.unit.scorer.fakes import scorer_ports

pytestmark = pytest.mark.unit


def chunk_event(blobs_key: str, take: int = 0, caption: CaptionShown | None = None,
                beat: int = 1) -> ChunkCompleted:
    sample = next(e for e in builders.every_event() if isinstance(e, ChunkCompleted))
    video = builders.ref(blobs_key)
    return sample.model_copy(update={"beat_index": beat, "chunk_index": 0, "take": take, "video": video,
                                     "caption": caption})


async def test_a_chunk_take_is_scored_recorded_and_announced_once(tmp_path: Path) -> None:
    ports, docs, blobs, scorer = scorer_ports(tmp_path)
    await docs.create(builders.generation(GID, status="chunking", spec=builders.spec(quality_threshold=50)))
    video = await blobs.put_bytes("c/1-0.t1.mp4", b"blurred take", "video/mp4")
    caption = CaptionShown(text="Cold for 24 hours", start_s=0.45, end_s=4.7)
    event = chunk_event("c/1-0.t1.mp4", take=1, caption=caption).model_copy(update={"video": video})
    [out] = await handle_chunk_completed(event, ports)
    assert isinstance(out, QualityScored)
    assert (out.kind, out.item, out.take, out.threshold, out.passed) == ("chunk", "1-0", 1, 50, False)
    assert out.scores is not None and out.scores.overall == 30.0 and out.causation_id == event.id
    assert scorer.chunks == [(b"blurred take", caption)]  # the caption is read while it is shown
    doc = await docs.get(GID)
    assert doc is not None and doc.quality.entry("chunk", "1-0", 1).scores == out.scores  # type: ignore[union-attr]
    # a redelivery announces the recorded score again (same dedup id) and never scores twice
    [again] = await handle_chunk_completed(event, ports)
    assert again.msg_id == out.msg_id and again.scores == out.scores and len(scorer.chunks) == 1


async def test_a_video_that_cannot_be_scored_is_recorded_with_the_reason(tmp_path: Path) -> None:
    ports, docs, blobs, _ = scorer_ports(tmp_path)
    await docs.create(builders.generation(GID, status="chunking"))
    broken = await blobs.put_bytes("c/1-0.mp4", b"broken", "video/mp4")
    [out] = await handle_chunk_completed(chunk_event("c/1-0.mp4").model_copy(update={"video": broken}), ports)
    assert out.scores is None and out.error == "no video frames to score" and out.passed
    gone = await handle_chunk_completed(chunk_event("c/2-0.mp4", beat=2), ports)  # never stored (or cleaned up)
    assert gone[0].error is not None and "no longer stored" in gone[0].error
    doc = await docs.get(GID)
    assert doc is not None and doc.quality.entry("chunk", "1-0", 0).error == "no video frames to score"  # type: ignore[union-attr]


@pytest.mark.parametrize("status", ["failed", "cancelled"])
async def test_an_ended_generation_is_not_scored(tmp_path: Path, status: str) -> None:
    ports, docs, blobs, scorer = scorer_ports(tmp_path)
    await docs.create(builders.generation(GID, status=status))
    await blobs.put_bytes("c/1-0.mp4", b"fine", "video/mp4")
    assert await handle_chunk_completed(chunk_event("c/1-0.mp4"), ports) == []
    assert scorer.chunks == []


async def test_the_master_is_scored_with_its_joins_even_after_the_generation_completed(tmp_path: Path) -> None:
    ports, docs, blobs, scorer = scorer_ports(tmp_path)
    plan = builders.plan(15)  # three 5 s beats
    await docs.create(builders.generation(GID, status="completed", plan=plan))
    master = await blobs.put_bytes(f"generations/{GID}/master.mp4", b"master", "video/mp4")
    sample = next(e for e in builders.every_event() if isinstance(e, StitchCompleted))
    [out] = await handle_stitch_completed(sample.model_copy(update={"master": master}), ports)
    assert (out.kind, out.item, out.take) == ("master", "master", 0) and out.scores is not None
    assert scorer.masters == [(b"master", Joins((5.0, 10.0), "crossfade", 0.5))]
    doc = await docs.get(GID)
    assert doc is not None and doc.quality.master is not None and "master" not in doc.unscored()


async def test_only_renditions_with_their_own_pixels_are_scored(tmp_path: Path) -> None:
    ports, docs, blobs, scorer = scorer_ports(tmp_path)
    spec = builders.spec(renditions=["1:1"], transition={"kind": "cut", "duration_s": 0})
    await docs.create(builders.generation(GID, status="completed", plan=builders.plan(15), spec=spec))
    sample = next(e for e in builders.every_event() if isinstance(e, ExportCompleted))
    own = sample.renditions[0]
    square = own.model_copy(update={"aspect": "1:1", "method": "crop", "video": await blobs.put_bytes(
        f"generations/{GID}/exports/1x1.mp4", b"square", "video/mp4")})
    outs = await handle_export_completed(sample.model_copy(update={"renditions": [own, square]}), ports)
    assert [(o.kind, o.item) for o in outs] == [("rendition", "1x1")]
    assert scorer.masters == [(b"square", Joins((5.0, 10.0), "cut", 0.0))]
