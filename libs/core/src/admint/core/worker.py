"""The one consumer wrapper every service uses: skip if terminal → handle → publish → ack (FastStream decodes).

It owns the delivery semantics (DESIGN.md §3, issue 7): at-least-once with idempotent handlers, transient errors
nak'ed with exponential backoff + jitter, permanent errors turned into generation.failed.v1, poison messages
parked as message.deadlettered.v1 after max_deliver, cancellation honoured before work starts.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from nats.errors import Error as NatsError
from pymongo.errors import ConnectionFailure

from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationFailed, MessageDeadLettered
from admint.contracts.interactive import VersionFailed
from admint.contracts.stages import PIPELINE, Stage
from admint.contracts.subjects import parse_subject
from admint.core.errors import PermanentError, TransientError
from admint.core.logging import generation_id_var
from admint.core.metrics import (
    DEAD_LETTERED,
    EVENTS_CONSUMED,
    HANDLER_SECONDS,
    IN_FLIGHT,
    RETRIES,
    STAGE_SECONDS,
)
from admint.core.stores import GenerationStore
from admint.core.topology import ConsumerSpec
from admint.core.tracing import add_event, mark_error, span

log = logging.getLogger(__name__)

Handler = Callable[[Any], Coroutine[Any, Any, list[Event]]]


@dataclass(frozen=True)
class Subscription:
    """Wiring of one durable consumer to one handler (ports already bound)."""

    consumer: ConsumerSpec
    model: type[Event]
    handler: Handler
    stage: Stage | None
    """Stage named in generation.failed.v1 when this handler fails for good; None beside the pipeline (the
    notifier), whose failures never fail a generation."""
    skip_terminal: bool = True
    """Drop events of generations already completed/failed/cancelled (cancellation stops new work)."""
    fails_generation: bool = True
    """False for work beside the pipeline: a permanent failure or a parked message leaves the generation be."""
    cancellable: bool = True
    """Whether cancelling the generation cancels this handler in flight. False for a service beside the pipeline
    (the notifier): its work is telling about the generation — its cancellation included, whose handler would
    otherwise be cancelled by the very broadcast it reports whenever the stream delivered it first."""


class Delivery(Protocol):
    """What the wrapper needs of a delivered message (FastStream's NatsMessage satisfies it via an adapter)."""

    subject: str
    deliveries: int
    stream_sequence: int

    async def ack(self) -> None: ...
    async def nak(self, delay: float) -> None: ...
    async def in_progress(self) -> None: ...


class Publisher(Protocol):
    async def publish(self, event: Event) -> bool: ...


@dataclass
class Timing:
    """Wall-clock stamps of one delivery (epoch seconds), logged with its outcome: what the breakdown tools
    (bench/) build per-hop latency and the critical path from. `stored_at` is the stream's timestamp of the
    message (publish), `started_at` when the handler began, `handled_at` when it returned its outputs."""

    received_at: float
    stored_at: float | None = None
    started_at: float | None = None
    handled_at: float | None = None

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"received_at": round(self.received_at, 6)}
        for name in ("stored_at", "started_at", "handled_at"):
            value = getattr(self, name)
            if value is not None:
                out[name] = round(value, 6)
        return out


@dataclass
class RetryPolicy:
    base_s: float = 1.0
    cap_s: float = 30.0

    def delay(self, deliveries: int) -> float:
        """Exponential backoff with full jitter in [0.5, 1.5) of the step."""
        step = min(self.cap_s, self.base_s * (2 ** max(0, deliveries - 1)))
        return round(step * (0.5 + random.random()), 3)


OUTAGES: tuple[type[BaseException], ...] = (TransientError, ConnectionFailure, NatsError, ConnectionError, TimeoutError)
"""Errors of a dependency that is away (a restarting MongoDB, NATS or object store): they clear by themselves."""


def is_transient(exc: BaseException) -> bool:
    """A failure worth retrying patiently (never counted as poison): ours, or a backing server being away."""
    return isinstance(exc, OUTAGES)


class StatusCache:
    """What the skip-terminal check knows without reading the document again.

    Every delivery used to read the generation's status (a third of all document reads). Here a status read is
    trusted for `ttl_s` when it was not terminal (the events of one generation come in bursts: a fan-out, a
    fan-in), and a generation known to have ended — read so, or heard on the bus (every process hears the
    terminal events, `ended()`) — stays ended for the events of that retry round or an earlier one. A cancel is
    heard at once (and cancels in-flight work as before); an event of a later round always reads again.
    """

    def __init__(self, ttl_s: float = 2.0, clock: Callable[[], float] = time.monotonic, size: int = 10_000) -> None:
        self.ttl_s, self.clock, self.size = ttl_s, clock, size
        self._live: dict[str, float] = {}
        """Generation → when it was last read as not terminal."""
        self._ended: dict[str, int] = {}
        """Generation → the latest retry round known to have ended."""

    def ended(self, generation_id: str, attempt: int) -> None:
        self._live.pop(generation_id, None)
        self._ended[generation_id] = max(attempt, self._ended.get(generation_id, -1))
        if len(self._ended) > self.size:
            self._ended.pop(next(iter(self._ended)))

    def knows(self, generation_id: str, attempt: int) -> bool | None:
        """True: ended for this round; False: read as live less than ttl_s ago; None: read the document."""
        ended = self._ended.get(generation_id)
        if ended is not None:
            if attempt <= ended:
                return True
            del self._ended[generation_id]  # a retry round began: what happens now is read from the document
        seen = self._live.get(generation_id)
        if seen is not None and self.clock() - seen < self.ttl_s:
            return False
        return None

    def read(self, generation_id: str, attempt: int, status: str | None) -> bool:
        """Record a status just read; whether it is terminal."""
        if status in PIPELINE.terminal:
            self.ended(generation_id, attempt)
            return True
        if len(self._live) > self.size:
            self._live.clear()
        self._live[generation_id] = self.clock()
        return False


class Worker:
    """Runs subscriptions' handlers for one service with the delivery semantics above."""

    def __init__(
        self, service: str, docs: GenerationStore, publisher: Publisher, retry: RetryPolicy | None = None
    ) -> None:
        self.service = service
        self.docs = docs
        self.publisher = publisher
        self.retry = retry or RetryPolicy()
        self.inflight: dict[asyncio.Task[Any], str | None] = {}
        """Handlers running → the generation whose cancellation cancels them (None: not cancellable)."""
        self.handling: set[tuple[str, int]] = set()
        """(durable, stream sequence) of messages being handled here: a redelivery of one of them (ack wait
        passed while the loop was busy) must not start a second, concurrent run of the same work."""
        self.draining = False
        self.statuses = StatusCache()

    async def is_terminal(self, event: Event) -> bool:
        known = self.statuses.knows(event.generation_id, event.attempt)
        if known is not None:
            return known
        return self.statuses.read(event.generation_id, event.attempt, await self.docs.status(event.generation_id))

    async def deliver(self, sub: Subscription, msg: Delivery, event: Event) -> str:
        """Handle one decoded delivery; returns the outcome label (also counted in metrics)."""
        event_type = sub.consumer.event_type
        timing = Timing(time.time(), getattr(msg, "stored_at", None))
        if self.draining:
            await msg.nak(1.0)
            return self._count(event_type, "drained")
        ident = (sub.consumer.durable, msg.stream_sequence)
        if ident in self.handling:
            await msg.in_progress()  # the first delivery is still being worked on here; its ack settles both
            return self._count(event_type, "duplicate_in_flight")
        self.handling.add(ident)
        token = generation_id_var.set(event.generation_id)
        if msg.deliveries > 1:  # on the consumer's span (FastStream's, when tracing is on)
            add_event("redelivery", delivery=msg.deliveries, stream_sequence=msg.stream_sequence)
        try:
            if msg.deliveries > sub.consumer.max_transient_deliver:  # crash-looped past every limit
                await self._dead_letter(sub, msg, event.generation_id,
                                        f"delivered {msg.deliveries} times without an ack")
                return self._count(event_type, "dead_lettered")
            if sub.skip_terminal and await self._finished(event):
                await msg.ack()
                return self._count(event_type, "skipped_terminal", event, timing)
            return await self._run(sub, msg, event, timing)
        finally:
            generation_id_var.reset(token)
            self.handling.discard(ident)

    async def _finished(self, event: Event) -> bool:
        """No more work for this event: its generation ended — except a later version of a completed ad, whose
        work goes on after the generation's completion (its own failure ends it: fail_generation)."""
        if event.ad_version > 1:  # rare: read, do not trust what the bus said of version 1
            status = await self.docs.status(event.generation_id)
            return status in PIPELINE.terminal and status != "completed"
        return await self.is_terminal(event)

    async def park_undecodable(self, sub: Subscription, msg: Delivery, error: str) -> str:
        """A message that is not a valid event of its type can never succeed: park it at once."""
        try:
            gid, _ = parse_subject(msg.subject)
        except ValueError:
            gid = ""
        await self._dead_letter(sub, msg, gid, f"undecodable {sub.consumer.event_type}: {error}")
        return self._count(sub.consumer.event_type, "dead_lettered")

    async def _run(self, sub: Subscription, msg: Delivery, event: Event, timing: Timing) -> str:
        """The handler as a span of its own (its MongoDB, S3, ffmpeg and model calls are children; so are the
        publishes of its outputs), named after the service and the event it handles."""
        with span(f"{self.service} handle {sub.consumer.event_type}", generation_id=event.generation_id,
                  stage=sub.stage, durable=sub.consumer.durable, delivery=msg.deliveries, attempt=event.attempt,
                  event_id=event.id):
            return await self._run_handler(sub, msg, event, timing)

    async def _run_handler(self, sub: Subscription, msg: Delivery, event: Event, timing: Timing) -> str:
        event_type = sub.consumer.event_type
        timing.started_at = time.time()
        work: asyncio.Task[list[Event]] = asyncio.create_task(sub.handler(event))
        self.inflight[work] = event.generation_id if sub.cancellable else None
        IN_FLIGHT.labels(self.service).inc()
        heartbeat = asyncio.create_task(self._keep_alive(msg, sub.consumer.ack_wait_s))
        started = time.perf_counter()
        try:
            outputs = await work
            timing.handled_at = time.time()
            for output in outputs:
                await self.publisher.publish(output)
            await msg.ack()
            await self._observe_stages(outputs)
            return self._count(event_type, "ok", event, timing)
        except PermanentError as exc:
            log.warning("permanent failure: %s", exc.reason, extra={"detail": exc.detail, "stage": sub.stage})
            add_event("permanent failure", reason=exc.reason, retryable=exc.retryable)
            mark_error(exc.reason)
            if sub.stage is None or not sub.fails_generation:
                await msg.ack()
                return self._count(event_type, "given_up")
            await self.fail_generation(
                event, sub.stage, exc.reason, retryable=exc.retryable, detail=exc.detail
            )
            await msg.ack()
            return self._count(event_type, "failed", event, timing)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if work.cancelled() and not self.draining and not (current and current.cancelling()):
                # the generation was cancelled while we worked on it: drop the message
                await msg.ack()
                return self._count(event_type, "cancelled")
            # shutdown: let another worker take it
            work.cancel()
            with contextlib.suppress(Exception):
                await msg.nak(0.5)
            raise
        except Exception as exc:
            return await self._retry_or_park(sub, msg, event, exc)
        finally:
            heartbeat.cancel()
            HANDLER_SECONDS.labels(self.service, event_type).observe(time.perf_counter() - started)
            IN_FLIGHT.labels(self.service).dec()
            self.inflight.pop(work, None)

    async def _retry_or_park(self, sub: Subscription, msg: Delivery, event: Event, exc: Exception) -> str:
        event_type = sub.consumer.event_type
        transient = is_transient(exc)
        reason = "transient" if transient else type(exc).__name__
        # transient errors are expected to clear (the stage watchdog bounds the wait); only crashes count as poison
        limit = sub.consumer.max_transient_deliver if transient else sub.consumer.max_deliver
        if msg.deliveries >= limit:
            log.error("giving up after %d deliveries: %s", msg.deliveries, exc, exc_info=exc)
            await self._dead_letter(sub, msg, event.generation_id, f"{type(exc).__name__}: {exc}",
                                    version=event.ad_version)
            return self._count(event_type, "dead_lettered")
        delay = self.retry.delay(msg.deliveries)
        add_event("retry scheduled", delivery=msg.deliveries, delay_s=delay, reason=reason,
                  error=f"{type(exc).__name__}: {exc}"[:500])
        mark_error(f"{type(exc).__name__}: {exc}")
        log.warning(
            "retrying in %.1fs (delivery %d): %s",
            delay,
            msg.deliveries,
            exc,
            exc_info=None if isinstance(exc, TransientError) else exc,
        )
        RETRIES.labels(self.service, event_type, reason).inc()
        await msg.nak(delay)
        return self._count(event_type, "retry")

    async def fail_generation(
        self, cause: Event, stage: Stage, reason: str, *, retryable: bool = False, detail: str | None = None
    ) -> None:
        if cause.ad_version > 1:  # a later version failed: the ad stays at its previous version
            if await self.docs.fail_version(cause.generation_id, cause.ad_version, stage, reason,
                                            retryable=retryable, detail=detail):
                await self.publisher.publish(VersionFailed(
                    generation_id=cause.generation_id, causation_id=cause.id, producer=self.service, stage=stage,
                    reason=reason, retryable=retryable, detail=(detail or "")[:2000] or None, attempt=cause.attempt,
                    ad_version=cause.ad_version,
                ))
            return
        moved = await self.docs.fail(cause.generation_id, stage, reason, retryable=retryable, detail=detail)
        self.statuses.ended(cause.generation_id, cause.attempt)
        if moved or await self.docs.status(cause.generation_id) is None:
            await self.publisher.publish(
                GenerationFailed(
                    generation_id=cause.generation_id,
                    causation_id=cause.id,
                    producer=self.service,
                    stage=stage,
                    reason=reason,
                    retryable=retryable,
                    detail=(detail or "")[:2000] or None,
                    attempt=cause.attempt,
                )
            )

    async def _dead_letter(self, sub: Subscription, msg: Delivery, gid: str, error: str, version: int = 1) -> None:
        DEAD_LETTERED.labels(self.service, sub.consumer.event_type).inc()
        add_event("dead-lettered", delivery=msg.deliveries, stream_sequence=msg.stream_sequence, error=error[:500])
        log.error("dead-lettering %s seq=%s: %s", msg.subject, msg.stream_sequence, error)
        if gid:
            parked = MessageDeadLettered(
                generation_id=gid,
                producer=self.service,
                consumer=sub.consumer.durable,
                original_subject=msg.subject,
                stream_sequence=msg.stream_sequence,
                deliveries=msg.deliveries,
                error=error[:2000],
                ad_version=version,
            )
            await self.publisher.publish(parked)
            if sub.stage is None or not sub.fails_generation:
                await msg.ack()
                return
            reason = (
                f"{sub.stage} could not process a message after {msg.deliveries} deliveries: {error[:300]}"
            )
            await self.fail_generation(parked, sub.stage, reason, retryable=True, detail=error[:2000])
        await msg.ack()

    async def _keep_alive(self, msg: Delivery, ack_wait_s: float) -> None:
        """Tell the server we are still working, so a long encode is not redelivered elsewhere."""
        while True:
            await asyncio.sleep(max(1.0, ack_wait_s / 3))
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _observe_stages(self, outputs: list[Event]) -> None:
        """Stage duration = from entering the stage's status (the document's timeline) to its completion event."""
        for output in outputs:
            stage = PIPELINE.completed_by.get(output.type)
            if stage is None:
                continue
            with contextlib.suppress(Exception):
                doc = await self.docs.get(output.generation_id)
                entered = doc.timeline.get(stage.status) if doc else None
                if entered is not None:
                    seconds = (output.occurred_at - entered).total_seconds()
                    STAGE_SECONDS.labels(stage.name).observe(max(0.0, seconds))

    def cancel_generation(self, generation_id: str, attempt: int = 0) -> int:
        """Cancel in-flight handlers of a cancelled generation; returns how many were cancelled."""
        self.statuses.ended(generation_id, attempt)
        tasks = [t for t, gid in self.inflight.items() if gid == generation_id]
        for t in tasks:
            t.cancel()
        return len(tasks)

    def _count(self, event_type: str, outcome: str, event: Event | None = None, timing: Timing | None = None) -> str:
        """Count the outcome and log it: one line per delivery, with the generation and (when tracing is on)
        the trace it belongs to, so every message a service handled can be found from the generation; the
        event's id and the delivery's timing when it got that far (the benchmarks' breakdown reads them)."""
        EVENTS_CONSUMED.labels(self.service, event_type, outcome).inc()
        extra: dict[str, Any] = {"event_type": event_type, "outcome": outcome}
        if event is not None:
            extra["event_id"] = event.id
        if timing is not None:
            extra.update(timing.fields())
        log.info("%s: %s", event_type, outcome, extra=extra)
        return outcome
