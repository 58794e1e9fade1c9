"""The scorer's Prometheus metrics: the scores themselves (per dimension) and what scoring costs."""

from prometheus_client import Histogram

from admint.contracts.quality import QualityKind, QualityScores

QUALITY_SCORE = Histogram(
    "admint_quality_score", "Quality scores (0–100) of scored videos, per dimension and overall.",
    ["kind", "dimension"], buckets=(10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100),
)
SCORING_CPU_SECONDS = Histogram(
    "admint_scorer_cpu_seconds", "CPU seconds spent scoring one video (decoder included).", ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
)


def observe(kind: QualityKind, scores: QualityScores) -> None:
    QUALITY_SCORE.labels(kind, "overall").observe(scores.overall)
    for name, value in scores.dimensions.items():
        QUALITY_SCORE.labels(kind, name).observe(value)
    SCORING_CPU_SECONDS.labels(kind).observe(scores.cpu_s)
