"""Response bodies of quality scores: per generation (GET …/generations/{id} `quality`) and per group.

Kept apart from schemas.py (imported there for GenerationView) so the scorer's public shape lives in one place.
"""

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.common import Aspect


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _dimension(text: str) -> float | None:
    return Field(default=None, ge=0, le=100, description=text)  # type: ignore[no-any-return]


class DimensionScores(_Public):
    """One score per quality dimension, 0–100, higher is better (null: not measured for this video). Formulas:
    docs/quality.md."""

    sharpness: float | None = _dimension("Detail: Laplacian variance of textured tiles, normalised per size.")
    exposure: float | None = _dimension("Clipped shadows/highlights and mean level.")
    contrast: float | None = _dimension("Spread of the luma histogram.")
    colourfulness: float | None = _dimension("Hasler–Süsstrunk colourfulness.")
    temporal_flicker: float | None = _dimension("Frame-to-frame brightness change not explained by motion.")
    motion_smoothness: float | None = _dimension("Optical-flow magnitude and its jerk.")
    subject_consistency: float | None = _dimension("Similarity of the frames within a beat.")
    frozen_segments: float | None = _dimension("100: no frozen stretch.")
    black_segments: float | None = _dimension("100: no black stretch.")
    caption_legibility: float | None = _dimension("WCAG contrast of the caption's letters with their "
                                                  "surroundings, inside the safe zone (chunks).")
    join_smoothness: float | None = _dimension("How smoothly beats join at the transitions (masters).")
    loudness: float | None = _dimension("EBU R128 loudness and true peak against the target (masters).")


class ScoreView(_Public):
    """The scorer's verdict on one video."""

    overall: float | None = Field(default=None, description="Overall quality 0–100 (weighted geometric mean of "
                                                            "the dimensions); null when it could not be scored.")
    dimensions: DimensionScores = Field(default_factory=DimensionScores,
                                        description="Score per measured dimension, 0–100 (higher is better).")
    passed: bool | None = Field(default=None, description="At or above the request's quality_threshold (null "
                                                          "without one).")
    error: str | None = Field(default=None, description="Why it could not be scored.")
    integrated_lufs: float | None = Field(default=None, description="Measured integrated loudness, LUFS.")
    true_peak_dbtp: float | None = Field(default=None, description="Measured true peak, dBTP.")
    cpu_s: float = Field(default=0.0, description="CPU seconds the scoring took.", ge=0)


class ChunkScoreView(ScoreView):
    beat_index: int = Field(description="Beat of the chunk.", ge=0)
    chunk_index: int = Field(description="Chunk inside its beat.", ge=0)
    take: int = Field(description="Render of the chunk (0 first; re-renders below the threshold count up).", ge=0)
    kept: bool = Field(description="Whether this take is the one in the ad.")


class RenditionScoreView(ScoreView):
    aspect: Aspect = Field(description="The rendition's aspect (the master's own aspect is the master file).")


class QualityView(_Public):
    """Quality scores of a generation, as the scorer records them (beside the pipeline: they may arrive after
    the generation completed; `pending` says what is still to come)."""

    overall: float | None = Field(default=None, description="The ad's overall score: its master's.")
    threshold: float | None = Field(default=None, description="The request's quality_threshold, if any.")
    master: ScoreView | None = Field(default=None, description="The stitched master's scores.")
    renditions: list[RenditionScoreView] = Field(
        default_factory=list, description="One per rendition, the master's aspect (the master file) first.")
    chunks: list[ChunkScoreView] = Field(default_factory=list,
                                         description="Every scored chunk take, in (beat, chunk, take) order.")
    pending: list[str] = Field(default_factory=list, description="Stored videos not scored yet.")
