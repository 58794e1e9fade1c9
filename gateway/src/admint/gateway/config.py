"""Gateway settings (env prefix ADMINT_): ports, limits, the admin token and the development key."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from admint.core.settings import CoreSettings
from admint.core.webhook_settings import WebhookSafetySettings
from admint.providers.settings import ProviderSettings

DEV_ADMIN_TOKEN = "admint-dev-admin-token"
"""Development default of the admin token; refused in production like every other default secret."""


class GatewaySettings(WebhookSafetySettings, ProviderSettings, CoreSettings):
    """The provider settings are read only to price requests with the models the services run (same variables,
    same values in a deployment); the gateway never calls a model."""

    service_name: str = Field(default="gateway", description="Name used in logs, metrics and event producers.")
    gateway_host: str = Field(default="127.0.0.1", description="Bind address of the HTTP API.")
    gateway_port: int = Field(default=8000, description="Port of the HTTP API.", ge=0, le=65535)
    public_url: str | None = Field(
        default=None, description="Base URL clients use (for absolute links); relative links when unset."
    )

    admin_token: SecretStr = Field(
        default=SecretStr(DEV_ADMIN_TOKEN), description="Bearer token of the /v1/admin routes (key management)."
    )
    dev_api_key: SecretStr | None = Field(
        default=None, description="Development only: an API key the gateway makes sure exists at start."
    )
    dev_owner: str = Field(default="dev", description="Owner of the development key.")

    max_active_generations: int = Field(
        default=2, description="Default per-key limit of generations not yet finished.", ge=1, le=1000
    )
    rate_limit_per_minute: int = Field(default=120, description="Default per-key request limit per minute.",
                                       ge=1, le=100_000)
    active_retry_after_s: int = Field(
        default=15, description="Retry-After sent when the concurrent-generation limit is hit.", ge=1, le=3600
    )

    render_long_side: int = Field(
        default=1920, description="Long side of the master in pixels (1920 → 1080×1920 for 9:16).",
        ge=64, le=4096, multiple_of=2,
    )
    fps: int = Field(default=30, description="Frames per second of every video.", ge=1, le=60)

    max_upload_bytes: int = Field(default=10 * 1024 * 1024, description="Largest accepted product image.",
                                  ge=1024)
    max_json_bytes: int = Field(default=256 * 1024, description="Largest accepted body of the other routes.",
                                ge=1024)
    max_image_side: int = Field(default=8192, description="Largest accepted image side in pixels.", ge=64)
    max_image_pixels: int = Field(
        default=40_000_000, ge=4096,
        description="Largest accepted image area in pixels, checked before decoding (decompression bombs).",
    )
    thumbnail_side: int = Field(default=256, description="Long side of asset thumbnails.", ge=16, le=1024)

    planner_provider: Literal["offline", "openai"] = Field(
        default="offline", description="Planner model (the planner's setting; read here for cost estimates).")
    openai_model: str = Field(default="gpt-4o-mini",
                              description="OpenAI model for planning (the planner's setting; for estimates).")
    offline_chunk_duration_s: float = Field(
        default=5.0, description="Native chunk length of the offline video model (the chunker's; for estimates).",
        gt=0, le=30)
    generations_per_day: int | None = Field(
        default=None, description="Default per-key quota of generations per UTC day (unset = none).", ge=1)
    spend_per_month_usd: float | None = Field(
        default=None, description="Default per-key quota of spend per UTC month, USD (unset = none).", gt=0)

    max_webhooks_per_owner: int = Field(default=20, description="Webhook endpoints one owner may register.",
                                        ge=1, le=1000)

    sse_keepalive_s: float = Field(default=15.0, description="Seconds between SSE keep-alive comments.", gt=0)
    sse_retry_ms: int = Field(default=3000, description="Reconnect delay suggested to SSE clients.", ge=0)
    max_streams_per_key: int = Field(
        default=50, ge=1, description="SSE streams one key may hold open at once on one gateway process.")
    stream_connects_per_minute: int = Field(
        default=120, ge=1,
        description="SSE (re)connections per key and minute; counted apart from the request limit, so a reconnect "
                    "storm is slowed without locking the key out of the rest of the API.")
    read_cache_entries: int = Field(
        default=256, ge=0,
        description="Generations (with their built responses, ~300 KB each) and list pages the gateway answers "
                    "from memory while the change stream shows them unchanged; never stale (read_cache.py). 0 "
                    "reads the database every time.")
    sse_client_backlog: int = Field(
        default=500, ge=10,
        description="Events one SSE client may fall behind before it is sent a retry hint and disconnected (it "
                    "resumes with Last-Event-ID; a slow client never holds the others back).")
    sse_channel_linger_s: float = Field(
        default=30.0, gt=0,
        description="How long a generation's shared SSE subscription stays open after its last watcher left.")
    request_body_timeout_s: float = Field(
        default=30.0, gt=0, description="A request body must arrive within this many seconds (slow clients).")
    max_connections: int = Field(
        default=2000, ge=16, description="Open connections one gateway process accepts; beyond it answers 503.")
    sse_scores_wait_s: float = Field(
        default=60.0, description="How long a generation's SSE feed stays open after completion for the quality "
                                  "scores still to come (0: the feed ends with the generation).", ge=0, le=3600,
    )

    @model_validator(mode="after")
    def _refuse_dev_secrets(self) -> "GatewaySettings":
        if self.environment == "production":
            if self.admin_token.get_secret_value() == DEV_ADMIN_TOKEN:
                raise ValueError("ADMINT_ADMIN_TOKEN must be set in production (the development default is public)")
            if self.dev_api_key is not None:
                raise ValueError("ADMINT_DEV_API_KEY is for development only; create keys with the admin API")
        return self
