"""Planner settings (env prefix ADMINT_): which planner model, and the OpenAI transport policy."""

from pydantic import Field

from admint.runtime.settings import RuntimeSettings


class PlannerSettings(RuntimeSettings):
    service_name: str = Field(default="planner", description="Name in logs, metrics and event producers.")
    openai_timeout_s: float = Field(default=30.0, description="Timeout of one OpenAI attempt.", gt=0, le=300)
    openai_max_retries: int = Field(
        default=3, description="Retries after a timeout, 429 or 5xx (other 4xx fail fast).", ge=0, le=10
    )
    openai_backoff_s: float = Field(default=1.0, description="First retry delay (doubles).", gt=0, le=30)
