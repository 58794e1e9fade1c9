"""Notifier settings (env prefix ADMINT_): delivery timeout, retry schedule, disabling, and retention."""

from pydantic import Field

from admint.core.settings import CoreSettings
from admint.core.webhook_settings import WebhookSafetySettings

HOUR = 3600.0
DEFAULT_SCHEDULE_S = [5.0, 300.0, 1800.0, 2 * HOUR, 5 * HOUR, 8 * HOUR, 8 * HOUR]
"""After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h — eight attempts within 24 hours."""


class NotifierSettings(WebhookSafetySettings, CoreSettings):
    service_name: str = Field(default="notifier", description="Name used in logs, metrics and event producers.")
    max_inflight: int = Field(
        default=16, description="Events one notifier process takes at once (it only enqueues: light work).", ge=1,
        le=64)
    public_url: str | None = Field(
        default=None, description="Base URL clients use (for absolute links); relative links when unset."
    )
    webhook_timeout_s: float = Field(default=10.0, description="Limit of one webhook attempt, seconds.", gt=0,
                                     le=60)
    webhook_retry_schedule_s: list[float] = Field(
        default_factory=lambda: list(DEFAULT_SCHEDULE_S),
        description="Delays before each retry of a failed webhook, seconds (JSON list; jittered).",
    )
    webhook_retry_jitter: float = Field(default=0.2, description="Each delay varies by up to this fraction.",
                                        ge=0, le=0.5)
    webhook_max_age_s: float = Field(default=24 * HOUR, description="No attempt later than this after the event.",
                                     gt=0)
    webhook_concurrency: int = Field(default=8, description="Webhook attempts in flight per notifier process.",
                                     ge=1, le=256)
    webhook_lease_s: float = Field(
        default=30.0, description="A claimed delivery whose notifier died is attempted again after this.", gt=0
    )
    webhook_poll_s: float = Field(default=1.0, description="How often an idle notifier looks for due deliveries.",
                                  gt=0)
    webhook_max_response_bytes: int = Field(default=4096, description="Bytes of a response body read at most.",
                                            ge=0, le=1 << 20)
    webhook_disable_after_failures: int = Field(
        default=10, description="Consecutive failed attempts before an endpoint may be disabled.", ge=1
    )
    webhook_disable_after_s: float = Field(
        default=24 * HOUR, description="How long an endpoint must keep failing before it is disabled.", ge=0
    )
    retention_intermediates_h: float | None = Field(
        default=None, description="Delete frames, chunks and music this many hours after a generation ended "
                                  "(unset = keep).", gt=0,
    )
    retention_videos_days: float | None = Field(
        default=None, description="Delete the finished videos this many days after a generation ended "
                                  "(unset = keep).", gt=0,
    )
    retention_interval_s: float = Field(default=300.0, description="How often the retention sweep runs.", gt=0)
