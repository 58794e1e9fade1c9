"""The generation document's quality section → the public QualityView (pure)."""

from typing import Any

from admint.core.document import GenerationDoc, ScoreEntry
from admint.gateway.quality_schemas import (
    ChunkScoreView,
    DimensionScores,
    QualityView,
    RenditionScoreView,
    ScoreView,
)


def score_view(entry: ScoreEntry, threshold: float | None) -> ScoreView:
    return ScoreView(**_fields(entry, threshold))


def _fields(entry: ScoreEntry, threshold: float | None) -> dict[str, Any]:
    s = entry.scores
    if s is None:
        return {"error": entry.error}
    known = {k: v for k, v in s.dimensions.items() if k in DimensionScores.model_fields}
    return {"overall": s.overall, "dimensions": DimensionScores(**known), "error": entry.error,
            "passed": None if threshold is None else s.overall >= threshold, "integrated_lufs": s.integrated_lufs,
            "true_peak_dbtp": s.true_peak_dbtp, "cpu_s": s.cpu_s}


def quality_view(doc: GenerationDoc) -> QualityView:
    threshold, q = doc.spec.quality_threshold, doc.quality
    chunks = []
    for item, takes in q.chunks.items():
        beat, chunk = (int(part) for part in item.split("-"))
        kept = doc.chunking.chunks.get(item)
        for take, entry in takes.items():
            chunks.append(ChunkScoreView(beat_index=beat, chunk_index=chunk, take=int(take),
                                         kept=kept is not None and kept.take == int(take),
                                         **_fields(entry, threshold)))
    chunks.sort(key=lambda c: (c.beat_index, c.chunk_index, c.take))
    master = score_view(q.master, threshold) if q.master else None
    renditions = []
    for r in doc.exports.renditions if doc.exports else []:
        scored = q.master if r.method == "master" else q.renditions.get(r.aspect.replace(":", "x"))
        if scored is not None:
            renditions.append(RenditionScoreView(aspect=r.aspect, **_fields(scored, threshold)))
    return QualityView(overall=master.overall if master else None, threshold=threshold, master=master,
                       renditions=renditions, chunks=chunks, pending=doc.unscored())


def scores_to_come(doc: GenerationDoc | None) -> bool:
    """A completed generation whose scorer is at work (it scored something) and has not scored everything."""
    return doc is not None and doc.status == "completed" and doc.quality.started and bool(doc.unscored())
