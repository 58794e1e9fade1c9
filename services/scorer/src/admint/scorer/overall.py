"""One overall score from the dimension scores, with the weights kept in ONE file (`weights.yaml` beside this
module) so tuning them is a reviewed one-line change, not a code edit."""

import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from admint.scorer.dimensions import Dimension


class Weights(BaseModel):
    """The validated contents of weights.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    floor: float = Field(default=1.0, gt=0, le=100, description="Scores are floored here before the log.")
    weights: dict[Dimension, float] = Field(description="Relative weight per dimension (≥ 0).")

    @model_validator(mode="after")
    def _complete_and_positive(self) -> "Weights":
        missing = sorted(set(Dimension) - set(self.weights))
        if missing:
            raise ValueError(f"weights.yaml lacks {', '.join(missing)}")
        negative = sorted(name for name, weight in self.weights.items()
                          if weight < 0 or not math.isfinite(weight))
        if negative:
            raise ValueError(f"weights must be finite and ≥ 0: {', '.join(negative)}")
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return self


def load_weights(path: Path | None = None) -> Weights:
    """Read and validate a weights file; the packaged weights.yaml by default (cached)."""
    if path is None:
        return _packaged_weights()
    return Weights.model_validate(yaml.safe_load(Path(path).read_text()))


@cache
def _packaged_weights() -> Weights:
    text = resources.files("admint.scorer").joinpath("weights.yaml").read_text()
    return Weights.model_validate(yaml.safe_load(text))


def overall_score(scores: Mapping[str, float | None] | Mapping[Dimension, float | None],
                  weights: Weights | None = None) -> float:
    """exp(Σ wᵢ·ln max(sᵢ, floor) / Σ wᵢ) over the measured dimensions (None is left out, so the weights
    renormalise over what was measured); 0 when nothing with a positive weight was measured. An unknown
    dimension name is an error (a typo must not silently drop out of the score)."""
    weights = weights or load_weights()
    unknown = sorted(set(scores) - set(Dimension))
    if unknown:
        raise ValueError(f"unknown quality dimensions: {', '.join(unknown)}")
    total = log_sum = 0.0
    for name, score in scores.items():
        if score is None or not math.isfinite(score):
            continue
        weight = weights.weights[Dimension(name)]
        total += weight
        log_sum += weight * math.log(min(100.0, max(score, weights.floor)))
    return math.exp(log_sum / total) if total > 0 else 0.0
