"""The quality gate end to end in memory: the chunker's handlers and the scorer's chunk handler on a tiny bus, fakes
of every port. Chunks of beat 1 rendered with the request's seed come out 'blurred' (they score 30); a re-render
has a new seed and scores 85."""

import asyncio
import json
import random
from pathlib import Path

import pytest

from admint.chunker.config import ChunkerSettings
from admint.chunker.handlers import (
    Ports,
    handle_chunk_completed,
    handle_chunk_requested,
    handle_quality_scored,
    handle_storyboard_completed,
)
from admint.contracts.chunks import CaptionShown, ChunkCompleted, ChunkRequested, ChunksCompleted
from admint.contracts.envelope import Event
from admint.contracts.generation import StageProgress
from admint.contracts.quality import QualityScored, QualityScores
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.scorer import handlers as scorer
from admint.scorer.config import ScorerSettings
from admint.scorer.ports import Joins
from admint.scorer.ports import Ports as ScorerPorts
from tests.support import builders
from tests.support.builders import quality_scores
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.chunker.fakes import FakeEncoder, FakeVideo

pytestmark = pytest.mark.unit
GID = builders.GID
SEED = 7  # builders.spec's


class SeedScorer:
    """Scores a fake chunk by the seed its clip was rendered with: beat `blurred_beat` at the request's seed is
    blurred (30); everything else is sharp (85)."""

    def __init__(self, blurred_beat: int | None = 1, always_blurred: bool = False) -> None:
        self.blurred_beat = blurred_beat
        self.always_blurred = always_blurred

    async def score_chunk(self, path: Path, caption: CaptionShown | None) -> QualityScores:
        source = json.loads(Path(path).read_text())["source"]
        bad = source["beat"] == self.blurred_beat and (self.always_blurred or source["seed"] == SEED)
        return quality_scores(30.0 if bad else 85.0)

    async def score_master(self, path: Path, joins: Joins) -> QualityScores:
        raise AssertionError("no masters here")


async def setup(tmp_path: Path, threshold: float | None, scorer_port: SeedScorer,
                retakes: int = 2) -> tuple[Ports, ScorerPorts, StoryboardCompleted]:
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    spec = builders.spec(15, long_side=128, quality_threshold=threshold)
    plan = builders.plan(15)
    await docs.create(builders.generation(GID, spec=spec, plan=plan))
    await docs.enter(GID, "storyboarding")
    frames = [FrameRef(beat_index=b.index, image=await blobs.put_bytes(
        keys.storyboard_key(GID, b.index), f"frame {b.index}".encode(), "image/png")) for b in plan.beats]
    for f in frames:
        await docs.record_frame(GID, f.beat_index, _frame_entry(f))
    event = StoryboardCompleted(generation_id=GID, producer="storyboard", spec=spec, plan=plan, frames=frames)
    chunker = Ports(docs=docs, blobs=blobs, video=FakeVideo(cost_usd=0.1), encoder=FakeEncoder(),
                    settings=ChunkerSettings(workdir=str(tmp_path / "c"), quality_max_retakes=retakes))
    scoring = ScorerPorts(docs=docs, blobs=blobs, scorer=scorer_port,
                          settings=ScorerSettings(workdir=str(tmp_path / "s")), slots=asyncio.Semaphore(1))
    return chunker, scoring, event


def _frame_entry(frame: FrameRef):  # type: ignore[no-untyped-def]
    from admint.core.document import FrameEntry

    return FrameEntry(image=frame.image, model="offline-image")


async def drive(chunker: Ports, scoring: ScorerPorts, start: Event, shuffle: int = 5) -> list[Event]:
    """Every event to every handler that consumes it (the chunker's and the scorer's), in a seeded random order."""
    rng = random.Random(shuffle)
    pending: list[Event] = [start]
    seen: list[Event] = []
    while pending:
        event = pending.pop(rng.randrange(len(pending)))
        seen.append(event)
        if isinstance(event, StoryboardCompleted):
            pending += await handle_storyboard_completed(event, chunker)
        elif isinstance(event, ChunkRequested):
            pending += await handle_chunk_requested(event, chunker)
        elif isinstance(event, ChunkCompleted):
            pending += await handle_chunk_completed(event, chunker)
            pending += await scorer.handle_chunk_completed(event, scoring)
        elif isinstance(event, QualityScored):
            pending += await handle_quality_scored(event, chunker)
    return seen


async def test_a_blurred_chunk_is_rendered_again_and_the_passing_take_is_stitched(tmp_path: Path) -> None:
    chunker, scoring, start = await setup(tmp_path, threshold=60, scorer_port=SeedScorer())
    seen = await drive(chunker, scoring, start)
    [final] = [e for e in seen if isinstance(e, ChunksCompleted)]
    retakes = [e for e in seen if isinstance(e, ChunkRequested) and e.take]
    assert sorted((e.beat_index, e.chunk_index, e.take) for e in retakes) == [(1, 0, 1), (1, 1, 1)]
    # nothing goes to the stitcher before every chunk take's score was in
    scored_at = {(e.item, e.take): i for i, e in enumerate(seen) if isinstance(e, QualityScored)}
    assert len(scored_at) == 7 and all(i < seen.index(final) for i in scored_at.values())
    stitched = {(c.beat_index, c.chunk_index): c.video.key for c in final.chunks}
    assert stitched[1, 0].endswith("/1-0.t1.mp4") and stitched[1, 1].endswith("/1-1.t1.mp4")
    assert stitched[0, 0].endswith("/0-0.mp4")
    # the beat went on from the kept take's last frame
    [second] = [e for e in seen if isinstance(e, ChunkRequested) and (e.beat_index, e.chunk_index) == (1, 1)
                and e.take == 0]
    assert second.init_frame.key.endswith("/1-0.t1.last.png")
    doc = await chunker.docs.get(GID)
    assert doc is not None
    assert {k: v.take for k, v in doc.chunking.chunks.items()} == {"0-0": 0, "0-1": 0, "1-0": 1, "1-1": 1, "2-0": 0}
    assert sorted(doc.chunking.takes["1-0"]) == ["0", "1"]  # both takes listed (and stored)
    assert {"chunk:1-0", "chunk:1-0:t1", "chunk:1-1", "chunk:1-1:t1"} <= set(doc.costs)  # every take is priced
    assert doc.unscored() == []
    notes = [e.message for e in seen if isinstance(e, StageProgress) and "take" in e.message]
    assert any("take 0 scored 30.0 < 60: rendering take 1" in n for n in notes), notes
    video = chunker.video
    assert isinstance(video, FakeVideo) and sorted({r.seed for r in video.requests}) == [SEED, SEED + 7919]


async def test_after_the_last_retake_the_best_take_is_kept(tmp_path: Path) -> None:
    chunker, scoring, start = await setup(tmp_path, threshold=60, scorer_port=SeedScorer(always_blurred=True),
                                          retakes=1)
    seen = await drive(chunker, scoring, start)
    [final] = [e for e in seen if isinstance(e, ChunksCompleted)]
    assert len(final.chunks) == 5
    takes = sorted((e.beat_index, e.chunk_index, e.take) for e in seen if isinstance(e, ChunkRequested) and e.take)
    assert takes == [(1, 0, 1), (1, 1, 1)]  # one retake each, then the best of the two (equal: the first)
    doc = await chunker.docs.get(GID)
    assert doc is not None and doc.chunking.chunks["1-0"].take == 0


async def test_without_a_threshold_nothing_waits_for_scores(tmp_path: Path) -> None:
    chunker, scoring, start = await setup(tmp_path, threshold=None, scorer_port=SeedScorer())
    seen = await drive(chunker, scoring, start, shuffle=1)
    assert not [e for e in seen if isinstance(e, ChunkRequested) and e.take]
    [final] = [e for e in seen if isinstance(e, ChunksCompleted)]
    assert len(final.chunks) == 5 and len([e for e in seen if isinstance(e, QualityScored)]) == 5
    doc = await chunker.docs.get(GID)
    assert doc is not None and doc.chunking.takes == {}  # and every chunk is scored all the same
    assert doc.quality.entry("chunk", "1-0").scores.overall == 30.0  # type: ignore[union-attr]


def test_a_chunk_says_which_caption_it_shows_and_when() -> None:
    from admint.chunker.work import caption_shown

    sample = next(e for e in builders.every_event() if isinstance(e, ChunkRequested))  # beat 0, 5.5 s rendered
    first = sample.model_copy(update={"needed_duration_s": 5.0, "beat_offset_s": 0.0})
    assert caption_shown(first, cta_duration_s=2.5) == CaptionShown(text="Caption 0", start_s=0.45, end_s=4.7)
    tail = sample.model_copy(update={"needed_duration_s": 0.5, "beat_offset_s": 5.0})
    assert caption_shown(tail, cta_duration_s=2.5) is None  # the crossfade tail after the caption is gone
    middle = sample.model_copy(update={"needed_duration_s": 2.0, "beat_offset_s": 2.0})
    assert caption_shown(middle, cta_duration_s=2.5) == CaptionShown(text="Caption 0", start_s=0.0, end_s=2.0)
    assert caption_shown(first.model_copy(update={"caption": ""}), cta_duration_s=2.5) is None
