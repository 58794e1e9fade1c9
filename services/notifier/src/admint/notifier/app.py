"""The notifier, declared: one route per webhook type (enqueue deliveries), the sender loop and the retention
sweep in the background. It stands beside the pipeline: nothing it does can delay or fail a generation."""

from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from admint.contracts.envelope import Event
from admint.contracts.registry import EVENT_TYPES
from admint.contracts.webhooks import WEBHOOK_EVENTS
from admint.core.service import Infra, Route, ServiceSpec
from admint.core.webhookstore import DeliveryRepository, EndpointRepository
from admint.notifier.config import NotifierSettings
from admint.notifier.dispatch import Dispatcher, Policy
from admint.notifier.handlers import handle_webhook_event
from admint.notifier.ports import Ports
from admint.notifier.retention import RetentionPolicy, run_retention
from admint.notifier.sender import HttpSender


@dataclass
class NotifierPorts(Ports):
    """The handler's ports plus what the background loops run on."""

    dispatcher: Dispatcher | None = None
    infra: Infra | None = None


def build_ports(settings: NotifierSettings, infra: Infra) -> NotifierPorts:
    db = infra.docs.db
    endpoints, deliveries = EndpointRepository(db), DeliveryRepository(db)
    dispatcher = Dispatcher(
        endpoints, deliveries,
        HttpSender(settings.webhook_timeout_s, settings.webhook_max_response_bytes, settings.webhook_allow_private),
        Policy(schedule_s=settings.webhook_retry_schedule_s, jitter=settings.webhook_retry_jitter,
               max_age_s=settings.webhook_max_age_s, lease_s=settings.webhook_lease_s,
               concurrency=settings.webhook_concurrency, poll_s=settings.webhook_poll_s,
               disable_after_failures=settings.webhook_disable_after_failures,
               disable_after_s=settings.webhook_disable_after_s),
    )
    return NotifierPorts(docs=infra.docs, endpoints=endpoints, deliveries=deliveries,
                         public_url=(settings.public_url or "").rstrip("/"), wake=dispatcher.wake,
                         dispatcher=dispatcher, infra=infra)


def background(settings: NotifierSettings, ports: NotifierPorts) -> Sequence[Coroutine[Any, Any, None]]:
    """The sender loop, and the retention sweep."""
    dispatcher, infra = ports.dispatcher, ports.infra
    assert dispatcher is not None and infra is not None
    loops = [dispatcher.run()]
    policy = RetentionPolicy(settings.retention_intermediates_h, settings.retention_videos_days,
                             settings.retention_interval_s)
    loops.append(run_retention(infra.docs, infra.blobs, policy))
    return loops


ROUTED: tuple[type[Event], ...] = tuple(EVENT_TYPES[bus] for bus in WEBHOOK_EVENTS.values())

SERVICE = ServiceSpec(
    name="notifier",
    settings=NotifierSettings,
    routes={model: Route(handle_webhook_event, skip_terminal=False) for model in ROUTED},
    ports=build_ports,
    beside_pipeline=True,
    background=background,
)
