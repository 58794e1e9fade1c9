"""Scorer settings (env prefix ADMINT_): how videos are sampled, the loudness target, how much runs at once."""

from pydantic import Field

from admint.core.settings import CoreSettings


class ScorerSettings(CoreSettings):
    service_name: str = Field(default="scorer", description="Name used in logs, metrics and event producers.")
    quality_sample_long_side: int = Field(
        default=320, description="Scorer: frames are analysed scaled to this long side (never up).", ge=32, le=4096
    )
    quality_sample_fps: float | None = Field(
        default=None, description="Scorer: frames per second analysed (None: every frame; lower it to cut the "
                                  "scorer's CPU, the decode stays the largest part).", gt=0, le=120,
    )
    quality_stills: int = Field(
        default=16, description="Scorer: evenly spaced frames the per-picture dimensions read.", ge=1, le=256
    )
    process_nice: int = Field(
        default=10, ge=0, le=19,
        description="Scorer: added to its process's nice value at start (its ffmpeg decodes inherit it), so "
                    "scoring beside the pipeline takes the CPU the chunk encodes and the stitch leave idle.",
    )
    scoring_concurrency: int = Field(
        default=1, description="Scorer: videos scored at once per process (scoring is CPU-bound: scale replicas).",
        ge=1, le=16,
    )
    quality_loudness_lufs: float = Field(
        default=-16.0, description="Scorer: integrated loudness target masters and renditions are scored against.",
        le=-5,
    )
    quality_loudness_tolerance_lu: float = Field(
        default=1.0, description="Scorer: LU either side of the loudness target that still scores 100.", ge=0, le=10
    )
    quality_max_true_peak_dbtp: float = Field(
        default=-1.0, description="Scorer: true-peak ceiling of masters and renditions, dBTP.", le=0
    )
    quality_weights_file: str | None = Field(
        default=None, description="Scorer: a weights.yaml to use instead of the packaged one.",
    )
