"""The process harness every worker service runs in: connect, bootstrap, subscribe, serve health, drain.

A service supplies only `build(infra) -> list[Subscription]` (its composition root in app.py).
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsMessage, PullSub
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import DeliverPolicy

from admint.contracts.subjects import subject_filter
from admint.core.blobstore import BlobStore
from admint.core.bus import EventPublisher, ensure_stream, make_broker
from admint.core.docstore import GenerationRepository, ProcessedMarkers, ensure_indexes
from admint.core.health import HealthServer, health_app
from admint.core.logging import setup_logging
from admint.core.mongo import MongoClient, connect
from admint.core.settings import CoreSettings
from admint.core.slots import SharedSlots
from admint.core.watchdog import run_watchdog
from admint.core.worker import RetryPolicy, Subscription, Worker

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Infra:
    """Connected adapters handed to a service's composition root."""

    settings: CoreSettings
    broker: NatsBroker
    mongo: MongoClient
    docs: GenerationRepository
    markers: ProcessedMarkers
    blobs: BlobStore
    publisher: EventPublisher
    slots: SharedSlots | None = None
    """Cluster-wide concurrency limits (remote models' registry `concurrency`), in MongoDB."""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def slot_lease(self) -> Callable[[str, int], contextlib.AbstractAsyncContextManager[None]] | None:
        """What the provider factory takes to make a model's concurrency limit hold across replicas."""
        return self.slots.hold if self.slots is not None else None


Build = Callable[[Infra], list[Subscription]]


class NatsDelivery:
    """Adapts FastStream's NatsMessage to the worker's Delivery protocol."""

    def __init__(self, msg: NatsMessage) -> None:
        self.msg = msg
        raw = msg.raw_message
        meta = raw.metadata
        self.body: bytes = raw.data
        self.subject: str = raw.subject
        self.deliveries: int = int(meta.num_delivered)
        self.stream_sequence: int = int(meta.sequence.stream)

    async def ack(self) -> None:
        await self.msg.ack()

    async def nak(self, delay: float) -> None:
        await self.msg.nack(delay=delay)

    async def in_progress(self) -> None:
        await self.msg.in_progress()


async def retry_until_ready(what: str, attempt: Callable[[], Awaitable[T]], timeout_s: float = 120.0) -> T:
    """Dependencies may start after us (compose, k8s, make up): retry with backoff, then fail clearly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    delay = 0.2
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if loop.time() > deadline:
                raise RuntimeError(f"{what} not reachable after {timeout_s:.0f}s: {exc}") from exc
            log.info("waiting for %s: %s", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)


def with_ack_wait(sub: Subscription, ack_wait_s: float | None) -> Subscription:
    """Apply the ADMINT_ACK_WAIT_S override (short in fault tests, where crashed work should return fast)."""
    if not ack_wait_s:
        return sub
    return replace(sub, consumer=replace(sub.consumer, ack_wait_s=ack_wait_s))


def register(broker: NatsBroker, worker: Worker, sub: Subscription, settings: CoreSettings) -> None:
    """One durable pull consumer per subscription; competing consumers across replicas scale it."""
    spec = sub.consumer

    @broker.subscriber(  # type: ignore[misc]
        spec.filter_subject,
        stream=JStream(settings.stream_name, declare=False),
        durable=spec.durable,
        pull_sub=PullSub(batch_size=1, timeout=2.0),
        config=ConsumerConfig(
            durable_name=spec.durable,
            ack_policy=JsAckPolicy.EXPLICIT,
            ack_wait=spec.ack_wait_s,
            max_deliver=-1,  # the worker parks poison messages itself after spec.max_deliver
            filter_subject=spec.filter_subject,
            deliver_policy=DeliverPolicy.ALL,
            max_ack_pending=1000,
        ),
        ack_policy=AckPolicy.MANUAL,
        max_workers=settings.max_inflight,
    )
    async def on_message(msg: NatsMessage) -> None:
        await worker.deliver(sub, NatsDelivery(msg))


async def serve(settings: CoreSettings, build: Build, stop: asyncio.Event | None = None) -> None:
    """Run a worker service until `stop` is set or SIGTERM/SIGINT arrives, then drain gracefully."""
    setup_logging(settings.service_name, settings.log_level, settings.log_format)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    broker = make_broker(settings)
    mongo = connect(settings.mongo_url)
    db = mongo[settings.mongo_db]
    blobs = BlobStore.from_settings(settings)
    state = {"started": False}

    async def nats_ok() -> bool:
        return state["started"] and await broker.ping(timeout=2)

    async def mongo_ok() -> bool:
        await mongo.admin.command("ping")
        return True

    health = HealthServer(
        health_app({"nats": nats_ok, "mongo": mongo_ok, "s3": blobs.bucket_ready}, settings.service_name),
        settings.health_host,
        settings.health_port,
    )
    health.start()
    log.info(
        "health endpoint on http://%s:%d",
        settings.health_host,
        health.port,
        extra={"health_port": health.port},
    )

    nc = await retry_until_ready("NATS", broker.connect)
    await retry_until_ready("JetStream stream", lambda: ensure_stream(nc.jetstream(), settings))
    await retry_until_ready("MongoDB", lambda: ensure_indexes(db))
    await retry_until_ready("S3 bucket", blobs.ensure_bucket)

    publisher = EventPublisher(broker, settings)
    docs = GenerationRepository(db)
    infra = Infra(settings, broker, mongo, docs, ProcessedMarkers(db), blobs, publisher, SharedSlots(db.provider_slots))
    worker = Worker(
        settings.service_name, docs, publisher, RetryPolicy(settings.retry_base_s, settings.retry_cap_s)
    )
    subscriptions = [with_ack_wait(sub, settings.ack_wait_s) for sub in build(infra)]
    for sub in subscriptions:
        register(broker, worker, sub, settings)

    @broker.subscriber(subject_filter("generation.cancelled.v1"))  # core NATS: every replica hears it
    async def on_cancel(msg: NatsMessage) -> None:
        gid = msg.raw_message.subject.split(".")[1]
        if worker.cancel_generation(gid):
            log.info("cancelled in-flight work", extra={"generation_id": gid})

    await broker.start()
    state["started"] = True
    watchdog = asyncio.create_task(
        run_watchdog(
            docs,
            publisher,
            settings.service_name,
            settings.stage_budgets_s,
            {s.stage for s in subscriptions},
            settings.watchdog_interval_s,
        )
    )
    log.info("%s consuming %s", settings.service_name, ", ".join(s.consumer.durable for s in subscriptions))
    try:
        await stop.wait()
    finally:
        watchdog.cancel()
        await drain(worker, broker, settings.shutdown_grace_s)
        await mongo.close()
        await health.stop()
        log.info("%s stopped", settings.service_name)


async def drain(worker: Worker, broker: NatsBroker, grace_s: float) -> None:
    """SIGTERM: stop taking work, let in-flight handlers finish within the grace period, nak the rest."""
    worker.draining = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_s
    while worker.inflight and loop.time() < deadline:
        await asyncio.sleep(0.1)
    if worker.inflight:
        log.warning("grace period over: handing %d in-flight messages back", len(worker.inflight))
        for task in list(worker.inflight):
            task.cancel()
        await asyncio.sleep(0.5)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(broker.stop(), timeout=10)


def run_service(settings: CoreSettings, build: Build) -> None:
    """Entry point for `python -m admint.<svc>`."""
    asyncio.run(serve(settings, build))
