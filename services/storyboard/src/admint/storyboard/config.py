"""Storyboard settings (env prefix ADMINT_)."""

from pydantic import Field

from admint.runtime.settings import RuntimeSettings


class StoryboardSettings(RuntimeSettings):
    service_name: str = Field(
        default="storyboard", description="Name used in logs, metrics and event producers."
    )
