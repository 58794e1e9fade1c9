"""Storyboard settings (env prefix ADMINT_)."""

from pydantic import Field

from admint.core.settings import CoreSettings
from admint.providers.settings import ProviderSettings


class StoryboardSettings(ProviderSettings, CoreSettings):
    service_name: str = Field(
        default="storyboard", description="Name used in logs, metrics and event producers."
    )
