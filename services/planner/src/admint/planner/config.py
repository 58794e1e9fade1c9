"""Planner settings (env prefix ADMINT_): which planner model, and the OpenAI transport policy."""

from typing import Literal

from pydantic import Field, SecretStr

from admint.core.settings import CoreSettings


class PlannerSettings(CoreSettings):
    service_name: str = Field(default="planner", description="Name in logs, metrics and event producers.")
    planner_provider: Literal["offline", "openai"] = Field(default="offline", description="Planner model.")
    openai_api_key: SecretStr | None = Field(default=None, description="Enables the OpenAI planner.")
    openai_base_url: str = Field(default="https://api.openai.com/v1", description="OpenAI API base URL.")
    openai_model: str = Field(default="gpt-4o-mini", description="OpenAI model for planning.")
    openai_timeout_s: float = Field(default=30.0, description="Timeout of one OpenAI attempt.", gt=0, le=300)
    openai_max_retries: int = Field(
        default=3, description="Retries after a timeout, 429 or 5xx (other 4xx fail fast).", ge=0, le=10
    )
    openai_backoff_s: float = Field(default=1.0, description="First retry delay (doubles).", gt=0, le=30)
