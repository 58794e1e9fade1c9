"""Webhook endpoints and deliveries as stored (`webhook_endpoints`, `webhook_deliveries`): typed, shared by the
gateway (which manages endpoints and shows deliveries) and the notifier (which sends them).

An owner's endpoints each have their own signing secrets; the callbacks a client names per request
(`webhook_url` on POST /v1/generations) are signed with the secrets of the owner's one "request" pseudo-endpoint
(API id `request`). A secret is `whsec_` + base64 of 32 random bytes (the Standard Webhooks format); rotation
keeps the previous secret signing beside the new one until its `expires_at`.
"""

import base64
import hashlib
import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SECRET_PREFIX = "whsec_"
REQUEST_ENDPOINT = "request"
"""API id of the pseudo-endpoint whose secrets sign per-request callbacks."""

DeliveryStatus = Literal["pending", "succeeded", "failed"]
EndpointKind = Literal["endpoint", "request"]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def request_endpoint_id(owner: str) -> str:
    """Stored id of an owner's request pseudo-endpoint."""
    return f"req_{owner}"


def message_id(event_msg_id: str) -> str:
    """The `webhook-id` of an event: stable across retries, redeliveries and notifier restarts."""
    return "msg_" + hashlib.sha256(event_msg_id.encode()).hexdigest()[:26]


class Stored(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SigningSecret(Stored):
    secret: str
    created_at: datetime
    expires_at: datetime | None = Field(default=None, description="Stops signing then (a rotated-out secret).")


class WebhookEndpoint(Stored):
    id: str = Field(alias="_id")
    owner: str
    kind: EndpointKind = "endpoint"
    url: str = ""
    event_types: list[str] = Field(default_factory=list, description="Webhook types to send; empty = all.")
    enabled: bool = True
    description: str = ""
    secrets: list[SigningSecret] = Field(default_factory=list, description="Newest first.")
    created_at: datetime
    updated_at: datetime
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0

    @property
    def api_id(self) -> str:
        return REQUEST_ENDPOINT if self.kind == "request" else self.id

    def signing_secrets(self, at: datetime) -> list[str]:
        """Every secret that signs at `at`: the current one and rotated-out ones still in their overlap."""
        return [s.secret for s in self.secrets if s.expires_at is None or s.expires_at > at]

    def wants(self, webhook_type: str) -> bool:
        return self.enabled and (not self.event_types or webhook_type in self.event_types)


class Attempt(Stored):
    number: int = Field(ge=1)
    at: datetime
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    response: str | None = Field(default=None, description="Start of the response body (a few hundred bytes).")


class Delivery(Stored):
    """One message to one endpoint; (message_id, endpoint_id) is unique, so enqueueing an event twice (a
    redelivered bus message) makes no second delivery."""

    id: str = Field(alias="_id", description="A ULID (deliveries page newest first).")
    owner: str
    endpoint_id: str = Field(description="Stored endpoint id (req_<owner> for per-request callbacks).")
    url: str | None = Field(default=None, description="Per-request callbacks: the URL; endpoints: read at send.")
    generation_id: str
    message_id: str = Field(description="The webhook-id header.")
    event_type: str = Field(description="Webhook type.")
    payload: str = Field(description="The exact JSON body sent (the same bytes on every attempt).")
    status: DeliveryStatus = "pending"
    attempts: list[Attempt] = Field(default_factory=list)
    due_at: datetime = Field(description="Next attempt (pending) or end of the current attempt's lease.")
    created_at: datetime
    updated_at: datetime
    final_error: str | None = None
    redeliveries: int = 0
