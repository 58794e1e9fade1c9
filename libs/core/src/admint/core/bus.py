"""NATS JetStream: the broker factory, idempotent stream creation and the de-duplicating publisher."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import nats
from faststream.nats import JStream, NatsBroker
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from admint.contracts.envelope import Event
from admint.contracts.subjects import STREAM_SUBJECTS
from admint.core.errors import TransientError
from admint.core.metrics import EVENTS_PUBLISHED
from admint.core.settings import CoreSettings
from admint.core.tracing import enabled as tracing_enabled

log = logging.getLogger(__name__)


def nats_servers(settings: CoreSettings) -> list[str]:
    return [u.strip() for u in settings.nats_url.split(",") if u.strip()]


def broker_middlewares() -> tuple[Any, ...]:
    """FastStream's NATS telemetry middleware when tracing is on (it injects and extracts `traceparent`)."""
    if not tracing_enabled():
        return ()
    from faststream.nats.opentelemetry import NatsTelemetryMiddleware

    return (NatsTelemetryMiddleware(include_messages_counters=False),)


def make_broker(settings: CoreSettings, middlewares: Sequence[Any] = ()) -> NatsBroker:
    """A FastStream NATS broker that keeps reconnecting forever (a restarted server is not fatal); with tracing
    on, FastStream's telemetry middleware carries the trace context in every message's headers."""
    return NatsBroker(
        nats_servers(settings),
        middlewares=(*broker_middlewares(), *middlewares),
        name=settings.service_name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=3,
        logger=logging.getLogger(f"admint.faststream.{settings.service_name}"),
        log_level=logging.DEBUG,
    )


def stream_of(settings: CoreSettings) -> JStream:
    """The stream as FastStream publishers and subscribers name it: never declared by FastStream. A declared
    JStream makes `broker.start()` create the stream with FastStream's defaults, or on a conflict *replace* its
    config with them (retention 7 days → forever, de-duplication window 300 s → 120 s); `ensure_stream` owns it."""
    return JStream(settings.stream_name, declare=False)


def stream_config(settings: CoreSettings) -> StreamConfig:
    """The ADMINT stream: every gen.> event, on file storage, kept 7 days, de-duplicated by Nats-Msg-Id."""
    return StreamConfig(
        name=settings.stream_name,
        subjects=list(STREAM_SUBJECTS),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=settings.stream_max_age_s,
        duplicate_window=settings.stream_duplicate_window_s,
        num_replicas=settings.stream_replicas,
    )


async def ensure_stream(js: JetStreamContext, settings: CoreSettings) -> str:
    """Create the stream, or bring an existing one to the wanted config. Returns created|updated|unchanged."""
    wanted = stream_config(settings)
    name = settings.stream_name
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        try:
            await js.add_stream(wanted)
            return "created"
        except BadRequestError:  # a concurrent starter won the race
            info = await js.stream_info(name)
    current = info.config
    same = (
        sorted(current.subjects or []) == sorted(wanted.subjects or [])
        and current.max_age == wanted.max_age
        and current.duplicate_window == wanted.duplicate_window
        and current.storage == wanted.storage
    )
    if same:
        return "unchanged"
    await js.update_stream(wanted)
    return "updated"


async def connect_nats(settings: CoreSettings, **kwargs: Any) -> NatsClient:
    """A plain nats-py connection (tools, tests, the gateway's SSE reader)."""
    return await nats.connect(
        servers=nats_servers(settings),
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=3,
        **kwargs,
    )


class EventPublisher:
    """Publishes events to the stream with their deterministic Nats-Msg-Id and waits for the PubAck.

    Through the service's typed FastStream publisher of the event's type when it declared one (the AsyncAPI
    document lists those), else through the broker. Anything but the stream's acknowledgement — a timeout, no
    responders, a reply that is not a PubAck — is a TransientError: the caller retries, it is never a crash.
    """

    def __init__(self, broker: NatsBroker, settings: CoreSettings, publishers: Mapping[str, Any] | None = None) -> None:
        self.broker = broker
        self.publishers = dict(publishers or {})
        self.stream = settings.stream_name
        self.service = settings.service_name

    async def publish(self, event: Event, *, timeout: float = 10.0) -> bool:
        """Publish; returns True when the stream stored it, False when it was a duplicate it dropped."""
        target = self.publishers.get(event.type, self.broker)
        try:
            ack = await target.publish(
                event.model_dump_json().encode(),
                subject=event.subject,
                headers={"Nats-Msg-Id": event.msg_id, "Admint-Event-Type": event.type},
                stream=self.stream,
                timeout=timeout,
            )
        except (ValueError, TimeoutError, NatsError) as exc:  # ValueError: a reply that was not JSON
            raise TransientError(f"publishing {event.type} was not acknowledged by the stream: "
                                 f"{type(exc).__name__}: {exc}") from exc
        duplicate = bool(getattr(ack, "duplicate", False))
        EVENTS_PUBLISHED.labels(self.service, event.type, str(duplicate).lower()).inc()
        return not duplicate
