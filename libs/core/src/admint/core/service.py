"""The process harness every worker service runs in: a service is a declaration, `serve()` runs it.

A service's `app.py` says what it is — `ServiceSpec(name, settings class, {EventModel: handler}, ports factory)` —
and `serve()` does the rest: connect, bootstrap, build the ports, read one durable pull consumer per route
(`consumer.PullConsumer`: nats-py fetch, the route's contract model validates each event), publish through typed
FastStream publishers (FastStream's AsyncAPI generator documents every subject and payload, subscribers included:
`document_subscribers`), serve /healthz /readyz /metrics, sweep stage timeouts, and drain on SIGTERM. Delivery
semantics (retry, fail, park, skip) stay in `worker.Worker`, which knows no framework.
"""

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.nats import NatsBroker, NatsMessage, PullSub

from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationFailed, MessageDeadLettered, StageProgress
from admint.contracts.stages import PIPELINE, Stage
from admint.contracts.subjects import subject_filter
from admint.core.blobstore import BlobStore
from admint.core.bus import EventPublisher, ensure_stream, make_broker, stream_of
from admint.core.collector import quiet_collector
from admint.core.consumer import FETCH_WAIT_S, PullConsumer, consumer_config
from admint.core.docstore import GenerationRepository, ensure_indexes
from admint.core.healer import HealFn, run_healer
from admint.core.health import HealthServer, health_app
from admint.core.lag import run_lag_observer
from admint.core.logging import setup_logging
from admint.core.metrics import STAGE_BUDGET_SECONDS
from admint.core.mongo import connect
from admint.core.scratch import WorkdirClaim
from admint.core.settings import CoreSettings
from admint.core.slots import SharedSlots
from admint.core.topology import ConsumerSpec, consumers_of
from admint.core.tracing import setup_tracing, shutdown_tracing
from admint.core.watchdog import run_watchdog
from admint.core.worker import RetryPolicy, Subscription, Worker

log = logging.getLogger(__name__)
T = TypeVar("T")
S = TypeVar("S", bound=CoreSettings)
P = TypeVar("P")

Handler = Callable[[Any, Any], Awaitable[list[Event]]]
"""`async def handle_x(event, ports) -> list[Event]`: a plain function of the event and the service's ports."""
WORKER_EVENTS: tuple[type[Event], ...] = (StageProgress, GenerationFailed, MessageDeadLettered)
"""What the harness itself may publish for any service."""


@dataclass(frozen=True)
class Infra:
    """The connected adapters a service's ports factory may use."""

    docs: GenerationRepository
    blobs: BlobStore
    slots: SharedSlots
    """Cluster-wide concurrency limits (remote models' registry `concurrency`), in MongoDB."""


@dataclass(frozen=True)
class Route:
    """A handler with options; a bare handler in `routes` means `Route(handler)`."""

    handler: Handler
    skip_terminal: bool = True
    """Drop events of generations already completed/failed/cancelled (cancellation stops new work)."""
    fails_generation: bool = True
    """A handler that fails for good fails the generation. False for work beside the pipeline (the scorer):
    its failures are logged and parked, the generation goes on."""


@dataclass(frozen=True)
class ServiceSpec(Generic[S, P]):
    """Everything that makes one service: its app.py is this declaration."""

    name: str
    settings: type[S]
    routes: Mapping[type[Event], Handler | Route]
    ports: Callable[[S, Infra], P]
    produces: tuple[type[Event], ...] = ()
    """Event types its handlers publish (documented in AsyncAPI; the harness adds its own)."""
    consumers: tuple[ConsumerSpec, ...] | None = None
    """Durable consumers; by default the topology's for `name`."""
    stage: Stage | None = None
    """Stage named when a handler fails for good; by default the stage the stage table gives the service."""
    heal: HealFn | None = None
    """`async def heal(doc, ports) -> [completion]` for a quiet generation whose stage inputs are all recorded
    (self-healing fan-ins, healer.py)."""
    beside_pipeline: bool = False
    """A service beside the pipeline (the notifier): its failures never fail a generation — a message it cannot
    handle is parked, and the generation goes on as if the service were not there — and a generation's
    cancellation never cancels its work."""
    background: Callable[[S, P], Sequence[Coroutine[Any, Any, None]]] | None = None
    """Long-running loops of the service besides its consumers (the notifier's sender), started after the broker
    and cancelled at shutdown."""
    sweeps_checkpoints: bool = False
    """Its watchdog also ends generations past the approval deadline and versions past their budget."""

    def failure_stage(self) -> Stage | None:
        if self.beside_pipeline:
            return None
        if self.stage is not None:
            return self.stage
        owned = PIPELINE.stages_of(self.name)
        if len(owned) != 1:
            raise ValueError(f"service {self.name} owns stages {[s.name for s in owned]}; set ServiceSpec.stage")
        return owned[0].name

    def subscriptions(self, ports: P, ack_wait_s: float | None = None) -> list[Subscription]:
        """One subscription per route, bound to its durable consumer and to the ports."""
        consumers = {c.event_type: c for c in (self.consumers or consumers_of(self.name))}
        routes = {model: r if isinstance(r, Route) else Route(r) for model, r in self.routes.items()}
        stage = self.failure_stage() if any(r.fails_generation for r in routes.values()) else None
        subs = []
        for model, route in routes.items():
            event_type = model.model_fields["type"].default
            if event_type not in consumers:
                raise ValueError(f"{self.name} routes {event_type} but declares no durable consumer for it")
            consumer = consumers[event_type]
            if ack_wait_s:  # ADMINT_ACK_WAIT_S: short in fault tests, where crashed work should return fast
                consumer = replace(consumer, ack_wait_s=ack_wait_s)
            subs.append(Subscription(consumer, model, _bound(route.handler, ports), stage, route.skip_terminal,
                                     route.fails_generation, cancellable=not self.beside_pipeline))
        return subs


def _bound(handler: Handler, ports: Any) -> Callable[[Any], Coroutine[Any, Any, list[Event]]]:
    async def handle(event: Any) -> list[Event]:
        return await handler(event, ports)

    return handle


@dataclass
class Wiring:
    """A broker with the service's typed publishers (and, for the AsyncAPI document, its subscribers)."""

    broker: NatsBroker
    publishers: dict[str, Any] = field(default_factory=dict)
    """Event type → its typed FastStream publisher."""


def wire(spec: ServiceSpec[Any, Any], settings: CoreSettings) -> Wiring:
    """The broker of one service: a typed publisher per event type it produces (FastStream's telemetry
    middleware injects the trace context). Its consumers are `consumer.PullConsumer`s, not FastStream's."""
    wiring = Wiring(make_broker(settings))
    for model in dict.fromkeys((*spec.produces, *WORKER_EVENTS)):
        event_type = model.model_fields["type"].default
        wiring.publishers[event_type] = wiring.broker.publisher(
            subject_filter(event_type), schema=model, stream=stream_of(settings), title=f"{spec.name}:{event_type}",
            description=(model.__doc__ or "").strip().splitlines()[0],
        )
    return wiring


def document_subscribers(wiring: Wiring, spec: ServiceSpec[Any, Any], subscriptions: list[Subscription],
                         settings: CoreSettings) -> None:
    """Declare each subscription as a typed FastStream pull subscriber with the consumer's exact config, so the
    AsyncAPI generator documents every durable, subject and payload (infra/asyncapi_gen.py). Declaration only:
    a broker that serves is never given these (serve() reads the same subscriptions with `PullConsumer`)."""
    stream = stream_of(settings)
    for sub in subscriptions:
        c = sub.consumer
        wiring.broker.subscriber(
            c.filter_subject, stream=stream, durable=c.durable, pull_sub=PullSub(batch_size=1, timeout=FETCH_WAIT_S),
            config=consumer_config(sub), ack_policy=AckPolicy.MANUAL, max_workers=settings.max_inflight,
            title=f"{c.durable}:{c.event_type}",
            description=f"{spec.name}: {(sub.model.__doc__ or '').strip().splitlines()[0]}",
        )(_documented(sub))


def _documented(sub: Subscription) -> Callable[..., Awaitable[None]]:
    """The subscriber function FastStream documents: its annotation is the contract model."""

    async def receives(event: Event) -> None:
        raise RuntimeError(f"{sub.consumer.durable} is read by PullConsumer, not by FastStream")

    receives.__annotations__ = {"event": sub.model, "return": None}
    receives.__name__ = receives.__qualname__ = sub.consumer.durable.replace("-", "_")
    return receives


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


async def serve(spec: ServiceSpec[S, Any], settings: S | None = None, stop: asyncio.Event | None = None) -> None:
    """Run a worker service until `stop` is set or SIGTERM/SIGINT arrives, then drain gracefully."""
    settings = settings or spec.settings()
    setup_logging(settings.service_name, settings.log_level, settings.log_format)
    claim = WorkdirClaim(settings.workdir, settings.service_name)  # scratch of its own; predecessors' removed
    for leftover in claim.sweep_dead():
        log.info("removed the scratch of a dead predecessor: %s", leftover)
    settings = settings.model_copy(update={"workdir": str(claim.path)})
    setup_tracing(settings.service_name)  # before the MongoDB client exists: its command listeners are global
    for stage_name, budget in settings.stage_budgets_s.items():
        STAGE_BUDGET_SECONDS.labels(stage_name).set(budget)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    mongo = connect(settings.mongo_url)
    db = mongo[settings.mongo_db]
    blobs = BlobStore.from_settings(settings)
    infra = Infra(GenerationRepository(db), blobs, SharedSlots(db.provider_slots))
    ports = spec.ports(settings, infra)
    subscriptions = spec.subscriptions(ports, settings.ack_wait_s)
    wiring = wire(spec, settings)
    broker = wiring.broker
    started = asyncio.Event()

    async def nats_ok() -> bool:
        return started.is_set() and await broker.ping(timeout=2)

    async def mongo_ok() -> bool:
        await mongo.admin.command("ping")
        return True

    health = HealthServer(
        health_app({"nats": nats_ok, "mongo": mongo_ok, "s3": blobs.bucket_ready}, settings.service_name),
        settings.health_host, settings.health_port,
    )
    health.start()
    log.info("health endpoint on http://%s:%d", settings.health_host, health.port,
             extra={"health_port": health.port})

    nc = await retry_until_ready("NATS", broker.connect)
    await retry_until_ready("JetStream stream", lambda: ensure_stream(nc.jetstream(), settings))
    await retry_until_ready("MongoDB", lambda: ensure_indexes(db))
    await retry_until_ready("S3 bucket", blobs.ensure_bucket)
    with contextlib.suppress(Exception):  # crashed writers' unfinished multipart uploads
        if aborted := await blobs.abort_stale_uploads(settings.stale_upload_s, prefix="generations/"):
            log.info("aborted %d stale multipart uploads", aborted)

    publisher = EventPublisher(broker, settings, wiring.publishers)
    worker = Worker(settings.service_name, infra.docs, publisher,
                    RetryPolicy(settings.retry_base_s, settings.retry_cap_s))
    consumers = [PullConsumer(nc.jetstream(), settings.stream_name, sub, worker, settings.max_inflight)
                 for sub in subscriptions]

    # core NATS: every replica hears it. no_reply: a JetStream publish is a request, and a subscriber that
    # answered it would race the stream's PubAck (the publisher would read our empty reply as a broken ack).
    @broker.subscriber(subject_filter("generation.cancelled.v1"), no_reply=True, include_in_schema=False)
    async def on_cancel(msg: NatsMessage) -> None:
        gid = msg.raw_message.subject.split(".")[1]
        if worker.cancel_generation(gid, _attempt_of(msg.raw_message.data)):
            log.info("cancelled in-flight work", extra={"generation_id": gid})

    async def on_end(msg: NatsMessage) -> None:  # the skip-terminal check hears every generation's end
        worker.statuses.ended(msg.raw_message.subject.split(".")[1], _attempt_of(msg.raw_message.data))

    for ended in ("generation.completed.v1", "generation.failed.v1"):
        broker.subscriber(subject_filter(ended), no_reply=True, include_in_schema=False)(on_end)

    await broker.start()
    for consumer in consumers:
        await retry_until_ready(f"consumer {consumer.sub.consumer.durable}", consumer.subscribe)
        consumer.start()
    started.set()
    owned = {s.name for s in PIPELINE.stages_of(spec.name)}
    steering = (settings.approval_deadline_s, settings.version_budget_s) if spec.sweeps_checkpoints else None
    watchdog = asyncio.create_task(run_watchdog(
        infra.docs, publisher, settings.service_name, settings.stage_budgets_s, owned, settings.watchdog_interval_s,
        steering,
    ))
    lag = asyncio.create_task(run_lag_observer(
        nc.jetstream(), settings.stream_name, [s.consumer.durable for s in subscriptions],
        settings.watchdog_interval_s,
    ))
    tasks = [watchdog, lag]
    if spec.heal is not None:
        js = nc.jetstream()

        async def in_stream(event: Event) -> bool:
            return await completion_in_stream(js, settings.stream_name, event)

        tasks.append(asyncio.create_task(run_healer(
            infra.docs, spec.heal, ports, [PIPELINE.status_of_stage[name] for name in owned], settings.heal_after_s,
            publisher.publish, in_stream, settings.watchdog_interval_s,
        )))
    loops = [asyncio.create_task(c) for c in (spec.background(settings, ports) if spec.background else ())]
    log.info("%s consuming %s", settings.service_name, ", ".join(s.consumer.durable for s in subscriptions))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await drain(worker, consumers, broker, settings.shutdown_grace_s)
        await mongo.close()
        await health.stop()
        shutdown_tracing()
        log.info("%s stopped", settings.service_name)


def _attempt_of(data: bytes) -> int:
    """The retry round of a terminal event's payload (0 when unreadable: a later round always reads again)."""
    try:
        return int(json.loads(data).get("attempt", 0))
    except (ValueError, TypeError, AttributeError):
        return 0


async def drain(worker: Worker, consumers: list[PullConsumer], broker: NatsBroker, grace_s: float) -> None:
    """SIGTERM: stop taking work, let in-flight handlers finish within the grace period, nak the rest."""
    worker.draining = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_s
    stopping = asyncio.gather(*(c.stop(grace_s) for c in consumers))  # no new pulls; one in progress ends soon
    while worker.inflight and loop.time() < deadline:
        await asyncio.sleep(0.1)
    if worker.inflight:
        log.warning("grace period over: handing %d in-flight messages back", len(worker.inflight))
        for task in list(worker.inflight):
            task.cancel()
        await asyncio.sleep(0.5)
    await stopping
    with contextlib.suppress(Exception):
        await asyncio.wait_for(broker.stop(), timeout=10)


async def completion_in_stream(js: Any, stream: str, event: Event) -> bool:
    """Whether the stream already holds this very event (its subject's last message has the same dedup id)."""
    try:
        msg = await js.get_last_msg(stream, event.subject)
    except Exception:  # NotFoundError: nothing on that subject yet
        return False
    return bool(msg.headers and msg.headers.get("Nats-Msg-Id") == event.msg_id)


def lower_priority(settings: CoreSettings) -> int:
    """Add settings.process_nice to this process's nice value — on Linux to every thread it has already
    started too (a nice is per thread there); threads and children such as ffmpeg started later inherit it.
    Returns the nice value it runs at. Only ever lowers the priority, so it needs no privilege."""
    if settings.process_nice <= 0:
        return os.nice(0)
    main = os.nice(settings.process_nice)
    here = threading.get_native_id()
    for tid in _other_threads(here):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            now = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, now + settings.process_nice))
    return main


def _other_threads(here: int) -> list[int]:
    task = Path("/proc/self/task")
    return [int(t.name) for t in task.iterdir() if int(t.name) != here] if task.is_dir() else []


GIL_SWITCH_S = 0.001
"""How long a thread holds the GIL while another waits for it (CPython's default: 5 ms). A worker's event loop
shares the GIL with its render and decode threads: with the default, an event waited up to 5 ms per busy thread
before the loop could take it (the storyboard renders six frames at once)."""


def run(spec: ServiceSpec[Any, Any]) -> None:
    """Entry point of `python -m admint.<svc>`: its settings, its priority (process_nice), a quiet collector, then
    serve."""
    settings = spec.settings()
    lower_priority(settings)
    quiet_collector()  # the service's modules are imported by now: its start-up heap is frozen
    sys.setswitchinterval(GIL_SWITCH_S)
    asyncio.run(serve(spec, settings))
