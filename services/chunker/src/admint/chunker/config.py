"""Chunker settings (env prefix ADMINT_)."""

from pydantic import Field

from admint.core.settings import CoreSettings
from admint.providers.settings import ProviderSettings


class ChunkerSettings(ProviderSettings, CoreSettings):
    service_name: str = Field(default="chunker", description="Name used in logs, metrics and event producers.")
    offline_chunk_duration_s: float = Field(
        default=5.0, description="Native chunk length of the offline video model.", gt=0, le=30
    )
    cta_duration_s: float = Field(
        default=2.5, description="How long the call-to-action card closes the last beat, seconds.", gt=0, le=10
    )
    max_short_s: float = Field(
        default=0.25,
        description="A model clip may be this much shorter than the chunk needs (padded with its last frame); "
                    "shorter is a provider error worth a retry.",
        ge=0, le=2,
    )
    max_inflight: int = Field(
        default=8, ge=1, le=64,
        description="Messages one chunker process handles at once: every beat's chain of chunks in flight (a "
                    "30-second ad has 6 beats), so a chunk that continues a beat is taken when requested and its "
                    "encode goes first by the encode slots' priority, instead of waiting on the bus behind other "
                    "beats' chunks (the encodes share the cores; remote models are bounded by their slots).",
    )
    encode_slots: int = Field(
        default=0, ge=0, le=64,
        description="Chunk encodes (rendering + x264, CPU-bound) one chunker process runs at once, the beat with "
                    "the most seconds left first (0 = one per usable core); model calls are not limited by it.",
    )
    encode_timeout_s: float = Field(default=600.0, description="Limit of one normalise encode, seconds.", gt=0)
    quality_max_retakes: int = Field(
        default=2, description="With a quality_threshold on the request: re-renders a chunk may get when it scores "
                               "below it (the best take is kept after the last).", ge=0, le=5,
    )
