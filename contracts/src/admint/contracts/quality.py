"""Quality events: the scorer's verdict on one chunk take, one master or one rendition (0–100 per dimension).

The scorer works beside the pipeline: it scores each chunk as it is stored, the master when it is stitched and
each re-encoded rendition when it is exported, and publishes one `quality.scored.v1` per scored video. The
chunker reads chunk scores only when the request set a `quality_threshold` (a chunk below it is rendered again).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import Event

QualityKind = Literal["chunk", "master", "rendition"]


class QualityScores(BaseModel):
    """What the scorer measured on one video."""

    model_config = ConfigDict(frozen=True)

    overall: float = Field(description="Weighted geometric mean of the dimensions, 0–100.", ge=0, le=100)
    dimensions: dict[str, float] = Field(
        description="Score per measured dimension, 0–100 (sharpness, exposure, … loudness); unmeasured ones "
                    "are absent."
    )
    sampled_frames: int = Field(description="Frames decoded and analysed.", ge=0)
    seconds: float = Field(description="Wall-clock seconds the scoring took.", ge=0)
    cpu_s: float = Field(default=0.0, description="CPU seconds the scoring took (decoder included).", ge=0)
    integrated_lufs: float | None = Field(default=None, description="Integrated loudness (EBU R128), LUFS.")
    true_peak_dbtp: float | None = Field(default=None, description="True peak, dBTP.")


class QualityScored(Event):
    """One video was scored: a chunk take, the master, or a rendition. Published by the scorer."""

    type: Literal["quality.scored.v1"] = Field(
        default="quality.scored.v1", description="Event type and version."
    )
    kind: QualityKind = Field(description="What was scored: chunk, master or rendition.")
    item: str = Field(
        description="Which one: a chunk's \"<beat>-<chunk>\", \"master\", or a rendition's name (1x1).",
        pattern=r"^[a-z0-9][a-z0-9-]{0,31}$",
    )
    take: int = Field(default=0, description="Render of the chunk this is (0 first; re-renders count up).", ge=0)
    video: ArtifactRef = Field(description="The scored file.")
    scores: QualityScores | None = Field(default=None, description="The scores (None when it could not be "
                                                                   "scored; see `error`).")
    error: str | None = Field(default=None, description="Why the video could not be scored, when it could not.")
    threshold: float | None = Field(
        default=None, description="The request's quality_threshold, when it set one.", ge=0, le=100
    )

    @property
    def passed(self) -> bool:
        """At or above the threshold (no threshold, or nothing measured, passes: a score never fails an ad)."""
        if self.threshold is None or self.scores is None:
            return True
        return self.scores.overall >= self.threshold

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.kind, self.item, self.take)
