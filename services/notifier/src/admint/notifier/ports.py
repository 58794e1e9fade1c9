"""What the notifier's handler and sender loop need: the documents, endpoints, deliveries, and an HTTP sender."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from admint.core.stores import GenerationStore
from admint.core.webhooks import Attempt, Delivery, DeliveryStatus, WebhookEndpoint


class Endpoints(Protocol):
    async def get(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def matching(self, owner: str, webhook_type: str) -> list[WebhookEndpoint]: ...

    async def record_success(self, endpoint_id: str) -> None: ...

    async def record_failure(self, endpoint_id: str, reason: str, *, min_failures: int, after_s: float) -> bool: ...


class Deliveries(Protocol):
    async def enqueue(self, delivery: Delivery) -> bool: ...

    async def claim_due(self, lease_s: float) -> Delivery | None: ...

    async def record_attempt(self, delivery_id: str, attempt: Attempt, status: DeliveryStatus,
                             due_at: datetime | None = None, final_error: str | None = None) -> None: ...

    async def give_up(self, delivery_id: str, reason: str) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """One attempt's result as the receiver (or the network) answered it."""

    ok: bool
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    response: str | None = None


class Sender(Protocol):
    async def send(self, url: str, body: str, headers: dict[str, str]) -> Outcome: ...


@dataclass
class Ports:
    docs: GenerationStore
    endpoints: Endpoints
    deliveries: Deliveries
    public_url: str = ""
    wake: Callable[[], None] = field(default=lambda: None)
    """Tells the sender loop new deliveries are due (it also polls)."""
