"""What integrators receive by webhook: the event types they can subscribe to, and the signed message body.

A webhook type is a public name without a version (`generation.completed`); each comes from one bus event type.
The notifier has one durable consumer per entry of `WEBHOOK_EVENTS` (core/topology.py), so adding a webhook type
(an approval checkpoint, a quality score) is one line here plus its consumer there. Bodies follow the Standard
Webhooks shape (`type`, `timestamp`, `data`); the `webhook-id`, `webhook-timestamp` and `webhook-signature`
headers are the notifier's business.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WEBHOOK_EVENTS: dict[str, str] = {
    "generation.completed": "generation.completed.v1",
    "generation.failed": "generation.failed.v1",
    "generation.cancelled": "generation.cancelled.v1",
    "generation.deleted": "generation.deleted.v1",
}
"""Webhook type → the bus event it is made from."""

WEBHOOK_TYPE_OF: dict[str, str] = {bus: public for public, bus in WEBHOOK_EVENTS.items()}
"""Bus event type → its webhook type."""

if TYPE_CHECKING:
    WebhookEventType = str
else:
    WebhookEventType = Literal[tuple(WEBHOOK_EVENTS)]


class WebhookLinks(BaseModel):
    """Where the resource lives in the API (these need the API key; they are not presigned)."""

    model_config = ConfigDict(frozen=True)

    generation: str = Field(description="GET the generation.")
    video: str = Field(description="GET redirects to the finished video (409 until completed).")
    events: str = Field(description="The generation's SSE feed.")


class WebhookData(BaseModel):
    """What happened to which generation."""

    model_config = ConfigDict(frozen=True)

    generation_id: str = Field(description="The generation this message is about.")
    status: str = Field(description="The generation's status the event brought it to.")
    event: dict[str, Any] = Field(description="The bus event itself (its JSON Schema is in contracts/schemas).")
    links: WebhookLinks = Field(description="Links to the resource.")


class WebhookMessage(BaseModel):
    """The body of every webhook request (Standard Webhooks: type, timestamp, data)."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(description="Webhook type, e.g. generation.completed.")
    timestamp: datetime = Field(description="When the event happened (UTC).")
    data: WebhookData = Field(description="The payload.")
