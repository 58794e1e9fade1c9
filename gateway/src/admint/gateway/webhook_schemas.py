"""Request and response bodies of /v1/webhooks (OpenAPI is generated from these)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.webhooks import WebhookEventType
from admint.core.webhooks import Delivery, DeliveryStatus, WebhookEndpoint

WEEK_S = 7 * 24 * 3600


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://example.com/hooks/admint", "event_types": ["generation.completed", "generation.failed"],
        "description": "render farm",
    }]})

    url: str = Field(description="http(s) URL that receives signed POSTs; must resolve to public addresses.",
                     min_length=8, max_length=2048)
    event_types: list[WebhookEventType] = Field(default_factory=list, max_length=16,
                                                description="Webhook types to send; empty sends every type.")
    enabled: bool = Field(default=True, description="Whether messages are sent to it.")
    description: str = Field(default="", max_length=500, description="A label for humans.")


class WebhookUpdate(BaseModel):
    """Only the fields given change. Enabling a disabled endpoint clears its disabled reason."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"enabled": True}, {"event_types": ["generation.completed", "generation.failed"]},
    ]})

    url: str | None = Field(default=None, min_length=8, max_length=2048, description="New URL.")
    event_types: list[WebhookEventType] | None = Field(default=None, max_length=16,
                                                       description="New list of types (empty = every type).")
    enabled: bool | None = Field(default=None, description="Enable or disable it.")
    description: str | None = Field(default=None, max_length=500, description="New label.")


class SecretInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created_at: datetime = Field(description="When the secret was made.")
    expires_at: datetime | None = Field(default=None,
                                        description="When it stops signing (a rotated-out secret); null = current.")


class WebhookView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Endpoint id (`request` for the per-request callbacks' signing secrets).")
    url: str = Field(description="Where messages go (empty for `request`).")
    event_types: list[str] = Field(description="Webhook types sent; empty = every type.")
    enabled: bool = Field(description="Whether messages are sent to it.")
    description: str = Field(description="A label for humans.")
    created_at: datetime = Field(description="When it was registered.")
    updated_at: datetime = Field(description="When it last changed.")
    disabled_reason: str | None = Field(default=None, description="Why admint disabled it, when it did.")
    disabled_at: datetime | None = Field(default=None, description="When it was disabled.")
    failing_since: datetime | None = Field(default=None, description="First of the current run of failures.")
    consecutive_failures: int = Field(description="Failed attempts since the last success.", ge=0)
    secrets: list[SecretInfo] = Field(description="Signing secrets in use, newest first (values never shown "
                                                  "again after creation or rotation).")


class WebhookCreated(WebhookView):
    secret: str = Field(description="The signing secret (`whsec_…`). Shown once: keep it.")


class SecretRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_s: int = Field(default=24 * 3600, ge=0, le=WEEK_S,
                           description="How long the previous secret keeps signing beside the new one.")


class SecretRotated(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Endpoint id.")
    secret: str = Field(description="The new signing secret. Shown once: keep it.")
    previous_expires_at: datetime | None = Field(
        default=None, description="Until when the previous secret also signs (null: there was none, or no overlap).")


class AttemptView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: int = Field(description="1 for the first attempt.", ge=1)
    at: datetime = Field(description="When it was sent.")
    status_code: int | None = Field(default=None, description="HTTP status answered; null when none was.")
    latency_ms: int = Field(description="Time until the answer (or the error), milliseconds.", ge=0)
    error: str | None = Field(default=None, description="Why it failed (HTTP status, timeout, refused address …).")
    response: str | None = Field(default=None, description="Start of the response body.")


class DeliveryView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Delivery id.")
    endpoint_id: str = Field(description="Endpoint id (`request` for a per-request callback).")
    url: str | None = Field(default=None, description="The per-request callback URL, when it is one.")
    generation_id: str = Field(description="The generation the message is about.")
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt and redelivery.")
    event_type: str = Field(description="Webhook type.")
    status: DeliveryStatus = Field(description="pending (retrying), succeeded or failed (gave up).")
    attempts: list[AttemptView] = Field(description="Every attempt, oldest first.")
    next_attempt_at: datetime | None = Field(default=None, description="When a pending delivery is tried next.")
    final_error: str | None = Field(default=None, description="Why it was given up.")
    redeliveries: int = Field(description="Manual redeliveries asked for.", ge=0)
    created_at: datetime = Field(description="When the event was enqueued for this endpoint.")
    updated_at: datetime = Field(description="Last change.")


class DeliveryPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[DeliveryView] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")


def webhook_view(endpoint: WebhookEndpoint) -> WebhookView:
    return WebhookView(
        id=endpoint.api_id, url=endpoint.url, event_types=endpoint.event_types, enabled=endpoint.enabled,
        description=endpoint.description, created_at=endpoint.created_at, updated_at=endpoint.updated_at,
        disabled_reason=endpoint.disabled_reason, disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since, consecutive_failures=endpoint.consecutive_failures,
        secrets=[SecretInfo(created_at=s.created_at, expires_at=s.expires_at) for s in endpoint.secrets],
    )


def delivery_view(delivery: Delivery, api_endpoint_id: str) -> DeliveryView:
    return DeliveryView(
        id=delivery.id, endpoint_id=api_endpoint_id, url=delivery.url, generation_id=delivery.generation_id,
        webhook_id=delivery.message_id, event_type=delivery.event_type, status=delivery.status,
        attempts=[AttemptView(**a.model_dump()) for a in delivery.attempts],
        next_attempt_at=delivery.due_at if delivery.status == "pending" else None,
        final_error=delivery.final_error, redeliveries=delivery.redeliveries,
        created_at=delivery.created_at, updated_at=delivery.updated_at,
    )
