"""Scorer handlers: every stored chunk take, the stitched master and each re-encoded rendition → quality.scored.v1.

- chunk.completed.v1 → score the chunk (its caption read while it is shown), record it, announce it.
- stitch.completed.v1 → score the master (joins from the plan, loudness against the target), record, announce.
- export.completed.v1 → score each re-encoded rendition the same way, record, announce each.

Beside the pipeline: nothing waits for these (except the chunker, when the request set a quality threshold), a
generation that ended is not scored, one that completed is (its scores arrive after it). Idempotent: a video
whose score is recorded is announced again from the document (same dedup id), never scored twice; a video that
cannot be scored is recorded with the reason, so whoever waits for its score is not left waiting.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import ChunkCompleted
from admint.contracts.envelope import Event
from admint.contracts.export import ExportCompleted
from admint.contracts.quality import QualityKind, QualityScored, QualityScores
from admint.contracts.stitch import StitchCompleted
from admint.core.document import GenerationDoc, ScoreEntry, chunk_item
from admint.core.scratch import scratch_dir
from admint.scorer.metrics import observe
from admint.scorer.ports import Ports, ScoringFailed
from admint.scorer.targets import (
    PRODUCER,
    joins_of,
    rendition_item,
    renditions_to_score,
    scored,
    worth_scoring,
)

log = logging.getLogger(__name__)
Measure = Callable[[Path], Awaitable[QualityScores]]


async def handle_chunk_completed(event: ChunkCompleted, ports: Ports) -> list[Event]:
    doc = await ports.docs.get(event.generation_id)
    if not worth_scoring(doc):
        return []
    assert doc is not None

    async def measure(path: Path) -> QualityScores:
        return await ports.scorer.score_chunk(path, event.caption)

    item = chunk_item(event.beat_index, event.chunk_index)
    return [await _score(event, doc, ports, "chunk", item, event.take, event.video, measure)]


async def handle_stitch_completed(event: StitchCompleted, ports: Ports) -> list[Event]:
    doc = await ports.docs.get(event.generation_id)
    if not worth_scoring(doc):
        return []
    assert doc is not None
    joins = joins_of(doc.plan, event.spec.transition)

    async def measure(path: Path) -> QualityScores:
        return await ports.scorer.score_master(path, joins)

    return [await _score(event, doc, ports, "master", "master", 0, event.master, measure)]


async def handle_export_completed(event: ExportCompleted, ports: Ports) -> list[Event]:
    doc = await ports.docs.get(event.generation_id)
    if not worth_scoring(doc):
        return []
    assert doc is not None
    joins = joins_of(doc.plan, doc.spec.transition)

    async def measure(path: Path) -> QualityScores:
        return await ports.scorer.score_master(path, joins)

    return [await _score(event, doc, ports, "rendition", rendition_item(r), 0, r.video, measure)
            for r in renditions_to_score(event)]


async def _score(cause: Event, doc: GenerationDoc, ports: Ports, kind: QualityKind, item: str, take: int,
                 video: ArtifactRef, measure: Measure) -> QualityScored:
    """The recorded score, announced again; else download, measure (one video at a time per slot), record."""
    threshold = doc.spec.quality_threshold
    earlier = doc.quality.entry(kind, item, take)
    if earlier is not None and earlier.video.sha256 == video.sha256:
        log.info("%s %s#%d is scored already: announcing it again", kind, item, take)
        return scored(cause, kind, item, take, earlier, threshold)
    entry = await _measure(cause.generation_id, ports, kind, item, take, video, measure)
    await ports.docs.record_score(cause.generation_id, kind, item, take, entry)
    if entry.scores is not None:
        observe(kind, entry.scores)
        log.info("%s %s#%d scored %.1f in %.2f CPU s", kind, item, take, entry.scores.overall, entry.scores.cpu_s)
    return scored(cause, kind, item, take, entry, threshold)


async def _measure(gid: str, ports: Ports, kind: QualityKind, item: str, take: int, video: ArtifactRef,
                   measure: Measure) -> ScoreEntry:
    async with ports.slots, scratch_dir(ports.settings.workdir, PRODUCER, gid, f"{kind}-{item}-{take}") as workdir:
        try:
            path = await ports.blobs.get_file(video.key, workdir / "video.mp4")
        except FileNotFoundError:
            return _unscored(video, f"the {kind} is no longer stored ({video.key})")
        try:
            scores = await measure(path)
        except ScoringFailed as exc:
            log.warning("cannot score %s %s#%d: %s", kind, item, take, exc)
            return _unscored(video, str(exc)[:500] or type(exc).__name__)
    return ScoreEntry(video=video, scores=scores, scored_at=datetime.now(UTC))


def _unscored(video: ArtifactRef, reason: str) -> ScoreEntry:
    return ScoreEntry(video=video, error=reason, scored_at=datetime.now(UTC))
