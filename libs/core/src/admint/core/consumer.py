"""A durable JetStream pull consumer read with nats-py directly: fetch one message, decode it as its contract
model, hand it to the worker.

FastStream's consume path (its parser, decoder, dependency injection and middleware chain) cost ~1.5 ms per message
over nats-py on the 2-core machine, and a pipeline hop took 6–8 ms with nothing else running (issue 16). The
worker already owns every delivery decision (ack, nak with backoff, parking, dedup, drain), so all a consumer
must do is fetch, decode and, with tracing on, open the CONSUMER span under the publisher's `traceparent`.
FastStream still publishes (typed publishers, its telemetry middleware injects the trace context) and still
documents every subscriber in the AsyncAPI document (`service.document_subscribers`).
"""

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError, NotFoundError, ServiceUnavailableError
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from admint.core.metrics import BUS_HOP_SECONDS
from admint.core.tracing import extract, span
from admint.core.worker import Subscription, Worker

log = logging.getLogger(__name__)

FETCH_WAIT_S = 1.0
"""How long one pull request waits for a message: an idle consumer asks again after this, and a stopping one
ends within it. 2 s kept every service's shutdown (and every stack a test or bench stops) waiting 2 s; 0.5 s
cost an idle stack 2.5 % of a core more than 2 s did (pulls that come back empty), 1 s about 1.4 %."""
OUTAGE_PAUSE_S = 0.5
"""Pause after a pull that failed (NATS away, the consumer gone), so nothing is asked in a tight loop."""


def consumer_config(sub: Subscription, since: datetime | None = None) -> ConsumerConfig:
    """The durable consumer of a subscription: explicit acks, redelivered without limit (the worker parks a
    poison message itself after `max_deliver`), up to 1000 messages awaiting an ack across replicas. From the
    stream's start, or from `since` when it is created again after it was lost."""
    c = sub.consumer
    start = {"deliver_policy": DeliverPolicy.ALL} if since is None else {
        "deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": since.isoformat()}
    return ConsumerConfig(
        durable_name=c.durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=c.ack_wait_s, max_deliver=-1,
        filter_subject=c.filter_subject, max_ack_pending=1000, **start,  # type: ignore[arg-type]
    )


class JetStreamDelivery:
    """One fetched JetStream message as the worker's `Delivery`."""

    def __init__(self, msg: Msg) -> None:
        self.msg = msg
        meta = msg.metadata
        self.subject: str = msg.subject
        self.deliveries: int = int(meta.num_delivered)
        self.stream_sequence: int = int(meta.sequence.stream)
        self.stored_at: float | None = meta.timestamp.timestamp() if meta.timestamp else None

    async def ack(self) -> None:
        """A confirmed ack: a plain ack is fire-and-forget, and one lost on a busy connection means the work is
        redelivered and done again after the ack wait. Unconfirmed after three tries, a plain one is sent and a
        redelivery may follow (every handler is idempotent)."""
        for _ in range(3):
            if self.msg._ackd:
                return
            with contextlib.suppress(TimeoutError):  # nats-py's TimeoutError is one too
                await self.msg.ack_sync(timeout=5.0)
        if not self.msg._ackd:
            log.warning("ack of stream sequence %d unconfirmed; sent once more unconfirmed", self.stream_sequence)
            await self.msg.ack()

    async def nak(self, delay: float) -> None:
        await self.msg.nak(delay=delay)

    async def in_progress(self) -> None:
        await self.msg.in_progress()


class PullConsumer:
    """Reads one durable consumer: one pull request at a time, at most `max_inflight` messages being handled.

    A slot is taken before the fetch, so a message is only ever pulled when a handler is free to take it: it
    never waits in this process's memory while its ack wait runs out, and a replica with free slots gets it.
    """

    def __init__(self, js: JetStreamContext, stream: str, sub: Subscription, worker: Worker,
                 max_inflight: int, fetch_wait_s: float = FETCH_WAIT_S) -> None:
        self.js, self.stream, self.sub, self.worker = js, stream, sub, worker
        self.slots = asyncio.Semaphore(max(1, max_inflight))
        self.fetch_wait_s = fetch_wait_s
        self.handling: set[asyncio.Task[None]] = set()
        self.stopping = False
        self._pull: Any = None
        self._loop: asyncio.Task[None] | None = None
        self._last_pull = time.time()
        """When a pull last worked (a message or an empty wait): a consumer created again starts before it."""

    async def subscribe(self, since: datetime | None = None) -> None:
        """Create the durable consumer when missing (replicas share it) and bind a pull subscription to it."""
        c = self.sub.consumer
        self._pull = await self.js.pull_subscribe(c.filter_subject, durable=c.durable, stream=self.stream,
                                                  config=consumer_config(self.sub, since))

    async def _recover(self) -> None:
        """After a pull that failed: pause, and when the durable consumer itself is gone (deleted by hand, the
        stream re-created) create it again and bind anew — pulls from a deleted consumer fail forever, and a
        consumer that stops reading stalls its stage. The new one starts an ack wait before the last pull that
        worked: what was in flight then is delivered again (handlers are idempotent), nothing older is replayed."""
        await asyncio.sleep(OUTAGE_PAUSE_S)
        durable = self.sub.consumer.durable
        try:
            await self.js.consumer_info(self.stream, durable)
            return  # it is there: NATS was away, the next pull tries again
        except NotFoundError:
            pass
        except Exception:
            return
        since = datetime.fromtimestamp(self._last_pull - self.sub.consumer.ack_wait_s, UTC)
        log.warning("%s: the durable consumer is gone; creating it again from %s", durable, since.isoformat())
        with contextlib.suppress(Exception):
            await self._pull.unsubscribe()
        try:
            await self.subscribe(since)
        except BadRequestError:  # another replica created it first (from its own start time): bind to that one
            with contextlib.suppress(Exception):
                await self.subscribe()
        except Exception as exc:
            log.warning("%s: could not create the consumer again yet: %s", durable, exc)

    async def run(self) -> None:
        """Fetch and dispatch until `stop()`; a fetch in progress then ends within `fetch_wait_s`."""
        assert self._pull is not None, "subscribe() first"
        while not self.stopping:
            await self.slots.acquire()
            if self.stopping:
                self.slots.release()
                break
            try:
                msgs = await self._pull.fetch(1, timeout=self.fetch_wait_s)
                self._last_pull = time.time()
            except TimeoutError:  # nothing to do for now (nats-py raises both its own and asyncio's)
                msgs = []
                self._last_pull = time.time()
            except (ConnectionClosedError, ServiceUnavailableError) as exc:
                log.info("%s: pull failed (%s); trying again shortly", self.sub.consumer.durable, exc)
                msgs = []
                await self._recover()
            except asyncio.CancelledError:
                self.slots.release()
                raise
            except Exception as exc:  # never let the loop die: a consumer that stops reading stalls its stage
                log.warning("%s: fetch failed: %s", self.sub.consumer.durable, exc)
                msgs = []
                await self._recover()
            if not msgs:
                self.slots.release()
                continue
            task = asyncio.create_task(self._handle(msgs[0]))
            self.handling.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.handling.discard(task)
        self.slots.release()
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s: delivery crashed (the message returns after its ack wait): %s",
                      self.sub.consumer.durable, exc, exc_info=exc)

    async def _handle(self, msg: Msg) -> None:
        delivery = JetStreamDelivery(msg)
        c = self.sub.consumer
        if delivery.deliveries == 1 and delivery.stored_at is not None:  # bus latency of this hop
            BUS_HOP_SECONDS.labels(self.worker.service, c.durable, c.event_type).observe(
                max(0.0, time.time() - delivery.stored_at))
        with span(f"{c.filter_subject} process", kind=SpanKind.CONSUMER, context=extract(msg.headers),
                  **{"messaging.system": "nats", "messaging.operation": "process",
                     "messaging.destination.name": msg.subject, "messaging.consumer.group.name": c.durable,
                     "messaging.message.id": (msg.headers or {}).get("Nats-Msg-Id")}):
            try:
                event = self.sub.model.model_validate_json(msg.data)
            except ValidationError as exc:  # not a valid event of its type: it can never succeed
                await self.worker.park_undecodable(self.sub, delivery, str(exc.errors()[:3]))
                return
            await self.worker.deliver(self.sub, delivery, event)

    def start(self) -> asyncio.Task[None]:
        self._loop = asyncio.create_task(self.run(), name=f"consume {self.sub.consumer.durable}")
        return self._loop

    async def stop(self, grace_s: float) -> None:
        """Stop pulling. The loop ends after the fetch in progress (≤ `fetch_wait_s`; a message it still brings
        goes to the worker, which naks it while draining) or once a handler frees a slot; past `grace_s` it is
        cancelled. Then the subscription goes (the durable stays). Handlers already running are the worker's to
        drain; their acks do not need the subscription."""
        self.stopping = True
        if self._loop is None:
            return
        with contextlib.suppress(TimeoutError, Exception):
            await asyncio.wait_for(asyncio.shield(self._loop), grace_s)
        if not self._loop.done():
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop
        if self._pull is not None:  # before the connection closes: draining a pull subscription never ends
            with contextlib.suppress(Exception):
                await self._pull.unsubscribe()
