"""Which models a service calls and how to reach the cloud ones (env prefix ADMINT_).

Mixed into the settings of the services that call models (storyboard, chunker, stitcher); the gateway and the
core know nothing of it. The planner's own model settings live in the planner.
"""

from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMINT_", env_file=None, extra="ignore")

    image_provider: Literal["offline", "replicate"] = Field(default="offline", description="Image model.")
    video_provider: Literal["offline", "replicate"] = Field(default="offline", description="Video model.")
    music_provider: Literal["offline", "replicate"] = Field(default="offline", description="Music model.")
    replicate_api_token: SecretStr | None = Field(default=None, description="Enables Replicate models.")
    replicate_base_url: str = Field(
        default="https://api.replicate.com/v1", description="Replicate API base URL."
    )
    replicate_image_model: str = Field(
        default="flux-schnell", description="Registry name of the image model."
    )
    replicate_video_model: str = Field(default="wan-i2v", description="Registry name of the video model.")
    replicate_music_model: str = Field(default="musicgen", description="Registry name of the music model.")
    replicate_timeout_s: float = Field(
        default=600.0, description="Overall limit of one Replicate prediction; then it is cancelled.", gt=0
    )
    model_registry: str | None = Field(
        default=None, description="A model registry YAML to use instead of the built-in one (negotiated prices; "
                                  "priced offline models for cost tests). Every process must see the same file.",
    )
    chaos: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Fault injection for providers, JSON, e.g. {"video": {"transient_rate": 0.5}} (off by default).',
    )
