"""The one webhook setting the gateway (checking URLs at registration) and the notifier (at every attempt) share."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSafetySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMINT_", env_file=None, extra="ignore")

    webhook_allow_private: bool = Field(
        default=False,
        description="Let webhooks call loopback, private and link-local addresses (development and tests only; "
                    "refused in production).",
    )

    @model_validator(mode="after")
    def _never_in_production(self) -> "WebhookSafetySettings":
        if self.webhook_allow_private and getattr(self, "environment", None) == "production":
            raise ValueError("ADMINT_WEBHOOK_ALLOW_PRIVATE is for development and tests; production webhooks may "
                             "only call public addresses")
        return self
