"""Storyboard settings (env prefix ADMINT_)."""

from pydantic import Field

from admint.core.settings import CoreSettings
from admint.providers.settings import ProviderSettings


class StoryboardSettings(ProviderSettings, CoreSettings):
    service_name: str = Field(
        default="storyboard", description="Name used in logs, metrics and event producers."
    )
    max_inflight: int = Field(
        default=6, ge=1, le=64,
        description="Frames one storyboard process renders at once: a 30-second ad's 6 beats together, so its "
                    "last frame does not wait on the bus for two rounds of others (rendering is in threads; the "
                    "uploads and document writes overlap it).",
    )
