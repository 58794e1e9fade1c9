"""The SSE feed of one generation: tail JetStream `gen.<id>.>` from an explicit stream sequence.

`id:` is the stream sequence, so `Last-Event-ID` resumes exactly after the last event a client saw. The
promise, per connection: every event of the generation after that point, exactly once and in order — across
NATS restarts, reconnects and consumer resets. Two parts keep it:

* The feed remembers the last sequence it sent (at first the one the client resumed after) and drops anything
  at or below it (`SequenceGate`): whatever a consumer delivers, a client never sees an id twice or go back.
* The feed owns its consumer: an ephemeral push consumer (no acks, in memory, one replica) created with
  `opt_start_seq = last sent + 1`, delivering to a fresh inbox. When it goes quiet (no message and no idle
  heartbeat for two heartbeat periods: the server restarted and forgot it) or skips a consumer sequence (a
  message was dropped on the way), the feed deletes it and creates a new one from last sent + 1, retrying
  with a jittered pause while NATS is away. History is never read again.

Why not nats-py's ordered consumer, which the feed used before: it resets itself from "the last stream
sequence it received + 1", and that counter starts at 0 whatever start sequence the consumer was created
with. A client that resumed with Last-Event-ID and had received nothing since got the whole history again,
from sequence 1, after any reset: a NATS restart replayed one client's 12 events three times (issue 17). The
reset point, the heartbeat watch and the re-creation (a background task whose failures only reach the error
callback) are private to nats-py, so the feed could not make its guarantee on top of it; owning the consumer
makes the restart point the feed's own, for the cost of the heartbeat and sequence checks in `_next`.

The feed ends after the first terminal event of the current retry round; a client that resumes after it gets
an empty, finished stream instead of waiting forever. A completed ad may get later versions: while one renders the
feed goes on past generation.completed, and a feed replaying history goes on to the last version's end
(version.completed/failed): it ends at the latest ending event in the stream when nothing renders. What works beside
the pipeline (the scorer) publishes after completion, so when `more_after_end` says more is coming, the feed stays
open after the ending event until it says nothing is, or `more_wait_s` has passed.
"""

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, Header
from nats.js.errors import NotFoundError
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from admint.contracts.registry import TERMINAL_TYPES
from admint.contracts.subjects import generation_filter, parse_subject, subject_for
from admint.core.tracing import extract, tracer

log = logging.getLogger(__name__)
SSE_CLIENTS = Gauge("admint_gateway_sse_clients", "Open SSE connections.")
SSE_CONSUMERS_REPLACED = Counter("admint_gateway_sse_consumers_replaced_total",
                                 "SSE consumers replaced from the last sequence sent + 1.", ["reason"])
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def format_event(seq: int, event_type: str, data: bytes | str) -> str:
    text = data.decode() if isinstance(data, bytes) else data
    lines = "".join(f"data: {line}\n" for line in text.splitlines() or [""])
    return f"id: {seq}\nevent: {event_type}\n{lines}\n"


ENDINGS = frozenset((*TERMINAL_TYPES, "version.completed.v1", "version.failed.v1"))
"""Events after which a feed may end: the generation's terminal ones, and the end of a later version."""


async def latest_terminal(js: JetStreamContext, stream: str, generation_id: str) -> tuple[int, int] | None:
    """(stream sequence, retry round) of the generation's latest ending event still in the stream, if any."""
    found: list[tuple[int, int]] = []
    for event_type in sorted(ENDINGS):
        with contextlib.suppress(NotFoundError):
            msg = await js.get_last_msg(stream, subject_for(generation_id, event_type))
            if msg.seq is not None:
                found.append((int(msg.seq), _attempt(msg.data or b"")))
    return max(found) if found else None


def _attempt(data: bytes) -> int:
    with contextlib.suppress(ValueError, TypeError):
        return int(json.loads(data).get("attempt", 0))
    return 0


class SequenceGate:
    """Lets through strictly increasing stream sequences: once a sequence was sent (or the client said it had
    it), it and everything below it are dropped for good."""

    def __init__(self, last: int) -> None:
        self.last = last

    def admit(self, seq: int) -> bool:
        if seq <= self.last:
            return False
        self.last = seq
        return True


AFTER_END = frozenset({"quality.scored.v1"})
"""Events published after a generation's terminal event that its feed still shows: work beside the pipeline."""
QUIET_HEARTBEATS = 2
"""Heartbeat periods without a word from the consumer after which the feed replaces it."""
API_TIMEOUT_S = 2.0
INACTIVE_S = 60.0
"""A consumer nobody listens to any more (a replaced one the server still had) is deleted after this."""


class EventFeed:
    """One client's subscription; open() before answering, so a broken bus is a 503, not a broken stream."""

    def __init__(self, nc: NatsClient, js: JetStreamContext, stream: str, generation_id: str, after_seq: int,
                 keepalive_s: float, retry_ms: int, current_attempt: Callable[[], Awaitable[int]],
                 heartbeat_s: float | None = None, more_after_end: Callable[[], Awaitable[bool]] | None = None,
                 more_wait_s: float = 0.0, rendering_version: Callable[[], Awaitable[int]] | None = None) -> None:
        self.current_attempt = current_attempt
        self.more_after_end = more_after_end
        """Whether events are still to come after the terminal one (scores of a completed generation)."""
        self.more_wait_s = more_wait_s
        """The generation's retry round now: a terminal event of an older round does not end the feed."""
        self.rendering_version = rendering_version
        """The version of the ad being rendered now (0: none): while one renders, the feed goes on."""

        self.nc = nc
        self.js = js
        self.stream = stream
        self.generation_id = generation_id
        self.after_seq = after_seq
        self.gate = SequenceGate(after_seq)
        self.keepalive_s = keepalive_s
        self.retry_ms = retry_ms
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else min(5.0, max(1.0, keepalive_s))
        """Idle heartbeat of the consumer: how soon a consumer a restarted server forgot is noticed."""
        self.sub: Subscription | None = None
        self.consumer: str | None = None
        self.next_consumer_seq = 1
        self.heard = 0.0
        self.finished = False
        self.pending_at_start = 0
        """Messages the current consumer had to deliver when it was created (history still to come)."""

    async def _last_ending(self, seq: int) -> bool:
        """Whether no later ending event (a later version's) is in the stream after `seq`."""
        latest = await latest_terminal(self.js, self.stream, self.generation_id)
        return latest is None or seq >= latest[0]

    async def _rendering(self) -> int:
        return await self.rendering_version() if self.rendering_version is not None else 0

    async def open(self) -> None:
        await self._start()
        if self.after_seq > 0 and await self._seen_the_end() and not await self._more():
            self.finished = True  # the client already saw the end (and no retry round or version followed it)
            await self.close()

    async def _seen_the_end(self) -> bool:
        """Whether the client resumed after the end (the latest ending event of the current round, while no later
        version renders)."""
        done = await latest_terminal(self.js, self.stream, self.generation_id)
        return done is not None and done[0] <= self.after_seq and done[1] >= await self.current_attempt() \
            and not await self._rendering()

    def _filters(self) -> list[str]:
        """The subjects the feed follows."""
        return [generation_filter(self.generation_id)]

    async def _is_end(self, subject: str, event_type: str, data: bytes, seq: int) -> bool:
        """Whether this event ends the feed: an ending event of the current retry round, no version rendering
        and no later version's end in the stream."""
        return event_type in ENDINGS and _attempt(data) >= await self.current_attempt() \
            and not await self._rendering() and await self._last_ending(seq)

    async def close(self) -> None:
        await self._drop()

    async def _start(self) -> None:
        """A new consumer from the last sequence sent + 1, delivering to a new inbox (the old one dropped)."""
        await self._drop()
        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(inbox)  # listen before the consumer exists: nothing is pushed unheard
        filters = self._filters()
        config = ConsumerConfig(
            deliver_subject=inbox, **({"filter_subject": filters[0]} if len(filters) == 1
                                      else {"filter_subjects": filters}),
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self.gate.last + 1,
            ack_policy=AckPolicy.NONE, max_deliver=1, idle_heartbeat=self.heartbeat_s,
            inactive_threshold=INACTIVE_S, mem_storage=True, num_replicas=1,
        )
        try:
            info = await self.js.add_consumer(self.stream, config, timeout=API_TIMEOUT_S)
        except BaseException:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            raise
        self.sub, self.consumer = sub, info.name
        self.next_consumer_seq, self.heard = 1, time.monotonic()
        self.pending_at_start = int(info.num_pending or 0)

    async def _drop(self) -> None:
        """Stop listening to the consumer and delete it; best effort (a restarted server may have lost it, and
        one it kept is deleted after INACTIVE_S without a listener)."""
        sub, consumer, self.sub, self.consumer = self.sub, self.consumer, None, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if consumer is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.js.delete_consumer(self.stream, consumer), API_TIMEOUT_S)

    async def _replace(self, reason: str) -> None:
        """Drop the consumer; the next read creates a new one from the last sequence sent + 1."""
        log.info("SSE feed of %s: consumer %s (%s): going on after %d", self.generation_id, self.consumer,
                 reason, self.gate.last)
        SSE_CONSUMERS_REPLACED.labels(reason).inc()
        await self._drop()

    async def _more(self) -> bool:
        return self.more_after_end is not None and self.more_wait_s > 0 and await self.more_after_end()

    async def _next(self, timeout: float) -> Msg | None:
        """The consumer's next event message, else None within about `timeout`. Replaces the consumer (from
        the last sequence sent + 1) when it went quiet or skipped a message, or when there is none yet."""
        if self.sub is None:
            try:
                await self._start()
            except Exception as exc:  # NATS is away or JetStream not ready yet: try again shortly
                if self.nc.is_closed:
                    raise nats.errors.ConnectionClosedError from exc
                log.info("SSE feed of %s: no consumer yet (%s)", self.generation_id, exc)
                await asyncio.sleep(timeout * random.uniform(0.5, 1.0))
                return None
        assert self.sub is not None
        try:
            msg = await self.sub.next_msg(timeout=timeout)
        except nats.errors.TimeoutError:
            if time.monotonic() - self.heard > QUIET_HEARTBEATS * self.heartbeat_s:
                await self._replace("quiet")  # e.g. a restarted server forgot it
            return None
        self.heard = time.monotonic()
        headers = msg.headers or {}
        if headers.get(Header.STATUS.value):  # an idle heartbeat: it says how many messages were pushed
            pushed = headers.get(Header.LAST_CONSUMER.value)
            if pushed is not None and int(pushed) != self.next_consumer_seq - 1:
                await self._replace("lost at the end")
            return None
        if msg.metadata.sequence.consumer != self.next_consumer_seq:
            await self._replace("lost on the way")
            return None
        self.next_consumer_seq += 1
        return msg

    def queued(self) -> int:
        """Messages the consumer already delivered that are waiting to be read (`next_admitted` returns at once)."""
        return self.sub.pending_msgs if self.sub is not None else 0

    async def next_admitted(self, timeout: float) -> Msg | None:
        """The next event past the gate (strictly after every sequence taken before), else None within about
        `timeout`: the consumer side of the feed, for a reader that fans events out itself (hub.py)."""
        msg = await self._next(timeout)
        if msg is None or not self.gate.admit(int(msg.metadata.sequence.stream)):
            return None
        return msg

    async def stream_text(self) -> AsyncIterator[str]:
        SSE_CLIENTS.inc()
        try:
            yield f"retry: {self.retry_ms}\n\n"
            if self.finished or self.sub is None:
                return
            said = time.monotonic()
            ended: float | None = None
            """When the terminal event went out, while events beside the pipeline are still awaited."""
            settled = False
            """Nothing more was awaited at the last look: one more quiet read (the event written just before
            that look is published right after it) and the feed ends."""
            while True:
                try:
                    msg = await self._next(min(self.keepalive_s, self.heartbeat_s))
                except nats.errors.ConnectionClosedError:
                    return  # the gateway is shutting down: the client reconnects elsewhere with Last-Event-ID
                event_type = parse_subject(msg.subject)[1] if msg is not None else ""
                if msg is not None and ended is not None and event_type not in AFTER_END:
                    msg = None  # after the end only what works beside the pipeline is shown
                if msg is None:
                    if ended is not None:
                        if settled or time.monotonic() - ended > self.more_wait_s:
                            return
                        settled = not await self._more()
                    if time.monotonic() - said >= self.keepalive_s:
                        said = time.monotonic()
                        yield ": keep-alive\n\n"
                    continue
                seq = int(msg.metadata.sequence.stream)
                if not self.gate.admit(seq):
                    continue
                said = time.monotonic()
                carried = extract(msg.headers)  # the producer's trace context (None when tracing is off)
                sent = None if carried is None else tracer().start_span(
                    f"gateway sse send {event_type}", context=carried, kind=SpanKind.PRODUCER,
                    attributes={"admint.generation_id": self.generation_id, "admint.stream_sequence": seq})
                yield format_event(seq, event_type, msg.data)
                if sent is not None:  # ends when the client took the frame
                    sent.end()
                if ended is None and await self._is_end(msg.subject, event_type, msg.data, seq):
                    if self.more_after_end is None or self.more_wait_s <= 0:
                        return  # the end, unless a retry round (POST …/retry) or a later version followed it
                    ended, settled = time.monotonic(), not await self._more()
                elif ended is not None:
                    settled = not await self._more()
        finally:
            SSE_CLIENTS.dec()
            await self.close()
