"""The quality section as the API shows it: kept takes, verdicts against the threshold, every rendition's scores,
what is still to come, and whether an SSE feed waits for it."""

import pytest

from admint.contracts.export import Rendition
from admint.core.document import ChunkEntry, ExportsSection, MasterSection, QualitySection, ScoreEntry
from admint.gateway.quality_views import quality_view, scores_to_come
from tests.support import builders

pytestmark = pytest.mark.unit
WHEN = builders.WHEN


def chunk(beat: int, take: int) -> ChunkEntry:
    return ChunkEntry(beat_index=beat, chunk_index=0, chunk_count=1, take=take, duration_s=5,
                      requested_duration_s=5, model="offline-video",
                      video=builders.ref(f"c/{beat}-0.t{take}.mp4"), last_frame=builders.ref(f"c/{beat}.png"))


def score(overall: float) -> ScoreEntry:
    return ScoreEntry(video=builders.ref("v.mp4"), scores=builders.quality_scores(overall))


def doc_with_scores(status: str = "completed", master_scored: bool = True):  # type: ignore[no-untyped-def]
    renditions = [
        Rendition(aspect=a, size=builders.spec(aspect=a).size, method=m, video=builders.ref(f"e/{a}.mp4"),
                  url="u", url_expires_at=WHEN, spec_check=next(
                      e for e in builders.every_event() if e.type == "export.completed.v1").renditions[0].spec_check)
        for a, m in (("9:16", "master"), ("1:1", "crop"))
    ]
    doc = builders.generation(status=status, spec=builders.spec(quality_threshold=60, renditions=["1:1"]))
    chunking = doc.chunking.model_copy(update={"chunks": {"0-0": chunk(0, 0), "1-0": chunk(1, 1)},
                                               "takes": {"1-0": {"0": chunk(1, 0), "1": chunk(1, 1)}}})
    quality = QualitySection(chunks={"0-0": {"0": score(81)}, "1-0": {"0": score(35.5), "1": score(77)}},
                             master=score(74.2) if master_scored else None,
                             renditions={"1x1": ScoreEntry(video=builders.ref("e/1:1.mp4"), error="no frames")})
    master = MasterSection(video=builders.ref("m.mp4"), duration_s=15, frames=450, has_audio=True)
    exports = ExportsSection(renditions=renditions, poster=builders.ref("p.jpg"), thumbnail=builders.ref("t.jpg"))
    return doc.model_copy(update={"chunking": chunking, "quality": quality, "master": master, "exports": exports})


def test_the_view_shows_every_take_the_kept_one_and_the_verdicts() -> None:
    view = quality_view(doc_with_scores())
    assert [(c.beat_index, c.take, c.kept, c.passed) for c in view.chunks] == [
        (0, 0, True, True), (1, 0, False, False), (1, 1, True, True)]
    assert view.chunks[1].dimensions.sharpness == 81.2 and view.chunks[1].dimensions.loudness is None
    assert view.overall == 74.2 and view.threshold == 60 and view.master is not None
    assert [(r.aspect, r.overall, r.error) for r in view.renditions] == [("9:16", 74.2, None), ("1:1", None,
                                                                                               "no frames")]
    assert view.pending == []


def test_a_feed_waits_only_for_a_completed_generation_whose_scorer_has_more_to_score() -> None:
    assert not scores_to_come(doc_with_scores())
    waiting = doc_with_scores(master_scored=False)
    assert scores_to_come(waiting) and quality_view(waiting).pending == ["master"]
    assert not scores_to_come(doc_with_scores(status="failed", master_scored=False))
    never_scored = builders.generation(status="completed")  # no scorer deployed: nothing is awaited
    assert not scores_to_come(never_scored) and not scores_to_come(None)
