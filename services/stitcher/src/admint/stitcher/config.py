"""Stitcher settings (env prefix ADMINT_)."""

from pydantic import Field

from admint.core.settings import CoreSettings
from admint.providers.settings import ProviderSettings


class StitcherSettings(ProviderSettings, CoreSettings):
    service_name: str = Field(default="stitcher", description="Name used in logs, metrics and event producers.")
    xfade_transition: str = Field(
        default="fade", description="ffmpeg xfade transition used for crossfades (fade, dissolve, smoothleft …)."
    )
    music_fade_in_s: float = Field(default=0.5, description="Music bed fade-in, seconds.", ge=0, le=5)
    music_fade_out_s: float = Field(default=1.5, description="Music bed fade-out, seconds.", ge=0, le=10)
    music_gain_db: float = Field(
        default=0.0, description="Offset of the music bed from its loudness target, dB (the delivered bed aims at "
                                 "music_loudness_lufs + this).", ge=-30, le=6,
    )
    music_loudness_lufs: float | None = Field(
        default=-16.0, description="Integrated loudness (EBU R128) the delivered bed, and so every master and "
                                  "rendition, is measured and levelled to (None keeps the source level).", le=-5
    )
    max_fit_s: float = Field(
        default=0.5, description="A beat whose chunks miss its length by more than this fails the stitch.", ge=0
    )
    frame_tolerance: int = Field(default=1, description="Allowed master length error, frames.", ge=0, le=5)
    download_concurrency: int = Field(default=4, description="Chunks downloaded at once.", ge=1, le=32)
    encode_concurrency: int = Field(
        default=0, description="Transition windows encoded at once (0 = one per CPU core).", ge=0, le=32
    )
