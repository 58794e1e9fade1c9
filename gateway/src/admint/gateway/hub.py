"""The SSE hub: one JetStream consumer per generation per gateway process, shared by every client watching it.

A thousand watchers of one generation cost one consumer, one copy of each event and one formatted SSE frame,
not a thousand of each (a consumer per client made NATS refuse some of them: 503s under a connect burst).

* A `Channel` follows one generation with an `EventFeed` started at the generation's first event (the feed's
  own consumer mechanics: heartbeat watch, replacement from the last sequence + 1 after a NATS restart or a lost
  message, a gate that never lets a sequence through twice). Every event is kept in the channel's history (a
  generation has a few hundred at most), so a late or resuming client is served from memory, not from the
  stream. A channel nobody watched for `linger_s` is closed.
* A `Watcher` is one client: its own `SequenceGate` (started at the sequence it resumed after), so whatever
  the channel replays or delivers, the client never gets an id at or below the last one it was sent. Its
  backlog is bounded: the channel only ever appends to it (never waits), and a client that falls `backlog`
  events behind is sent what it has, a `retry:` hint and the end of the stream. It reconnects with
  Last-Event-ID and resumes from history; it never holds the others back.
* Frames are formatted once per event; a watcher that has several events waiting writes them in one chunk.

The feed ends after the first terminal event of the current retry round, as `EventFeed` does; the round is read
from the document at most once a second per channel, however many watchers reach that event at once. Like
`EventFeed`, when work beside the pipeline (the scorer) still has events to publish after a completion, a watcher
stays open after the terminal event and passes on only those (`AFTER_END`) until nothing more is awaited (then
one more quiet wait) or `more_wait_s` has passed; whether more is awaited is also read at most once a second per
channel.
"""

import asyncio
import bisect
import contextlib
import json
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from admint.contracts.subjects import parse_subject
from admint.core.tracing import extract, tracer
from admint.gateway.sse import AFTER_END, ENDINGS, SSE_CLIENTS, EventFeed, SequenceGate, format_event

log = logging.getLogger(__name__)
SSE_CHANNELS = Gauge("admint_gateway_sse_channels", "Generations followed by this gateway (one consumer each).")
SSE_SLOW_CLIENTS = Counter("admint_gateway_sse_slow_clients_total",
                           "SSE clients disconnected with a retry hint because they fell too far behind.")
ATTEMPT_TTL_S = 1.0
"""How long a channel trusts what it read from the document: the retry round, whether more is awaited."""
BATCH_MAX = 256
"""At most this many events that arrived together are offered before the watchers are woken to write them."""
TIMER_SLACK_S = 0.002
"""A watcher's timer may ring this much early (the loop's clock and timers are millisecond-grained): due then."""
T = TypeVar("T")


class SharedRead(Generic[T]):
    """A value read from the document at most once per `ttl_s` (per `key`), however many watchers ask at once:
    whoever asks while a read is under way awaits that same read. (A thousand watchers reaching the same ending
    event used to queue on one asyncio.Lock, whose every acquire scans the queue: quadratic.)"""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._value: tuple[float, object, T] | None = None
        """(when its read started, key, value)."""
        self._flight: tuple[object, asyncio.Future[T]] | None = None

    async def get(self, read: Callable[[], Awaitable[T]], key: object = None, fresh: bool = False) -> T:
        """The value for `key`: the one read under way or still trusted, else a new read (`fresh`: a new read in
        any case, which the others then share)."""
        if not fresh:
            if self._flight is not None and self._flight[0] == key:
                return await asyncio.shield(self._flight[1])
            if self._value is not None and self._value[1] == key \
                    and time.monotonic() - self._value[0] <= self.ttl_s:
                return self._value[2]
        started = time.monotonic()
        future = asyncio.ensure_future(read())
        self._flight = (key, future)
        future.add_done_callback(lambda done: self._landed(done, key, started))
        return await asyncio.shield(future)

    def _landed(self, future: "asyncio.Future[T]", key: object, started: float) -> None:
        if self._flight is not None and self._flight[1] is future:
            self._flight = None
        if not future.cancelled() and future.exception() is None:  # a failed read is not kept: the next one reads
            self._value = (started, key, future.result())


@dataclass(frozen=True)
class Item:
    """One event as every watcher sends it."""

    seq: int
    type: str
    frame: str
    """The SSE frame (id, event, data), formatted once."""
    headers: dict[str, str] | None
    attempt: int
    terminal: bool
    carried: Context | None
    """The producer's trace context, read from the headers once (None when tracing is off)."""

    @classmethod
    def of(cls, msg: Msg) -> "Item":
        seq = int(msg.metadata.sequence.stream)
        _, event_type = parse_subject(msg.subject)
        terminal = event_type in ENDINGS  # the generation's end, or a later version's
        attempt = 0
        if terminal:
            with contextlib.suppress(ValueError, TypeError):
                attempt = int(json.loads(msg.data).get("attempt", 0))
        return cls(seq, event_type, format_event(seq, event_type, msg.data), msg.headers, attempt, terminal,
                   extract(msg.headers))


class Channel:
    """One generation's events, read once from the stream and handed to every watcher."""

    def __init__(self, hub: "SseHub", generation_id: str, current_attempt: Callable[[], Awaitable[int]],
                 more_after_end: Callable[[], Awaitable[bool]] | None = None,
                 rendering_version: Callable[[], Awaitable[int]] | None = None) -> None:
        self.hub = hub
        self.generation_id = generation_id
        self.current_attempt = current_attempt
        self.rendering_version = rendering_version
        """The version of the ad being rendered now (0: none): while one renders, watchers go on past the end."""
        self._rendering: SharedRead[int] = SharedRead(math.inf)
        """Keyed by the stream sequence of the ending event it was read for (-1: read afresh)."""
        self.more_after_end = more_after_end
        """Whether events beside the pipeline are still to come after the end (scores of a completion)."""
        self.feed = EventFeed(hub.nc, hub.js, hub.stream, generation_id, 0, hub.keepalive_s, hub.retry_ms,
                              current_attempt, heartbeat_s=hub.heartbeat_s)
        self.history: list[Item] = []
        self.watchers: set[Watcher] = set()
        self.ready = asyncio.Event()
        """Set once the events the stream held when the channel opened are in the history."""
        self.closed = False
        self.idle_since = time.monotonic()
        self.task: asyncio.Task[None] | None = None
        self._attempt: SharedRead[int] = SharedRead(ATTEMPT_TTL_S)
        self._more: SharedRead[bool] = SharedRead(ATTEMPT_TTL_S)

    async def open(self) -> None:
        await self.feed.open()
        if self.feed.pending_at_start == 0:
            self.ready.set()
        self.task = asyncio.create_task(self._pump(), name=f"sse-channel-{self.generation_id}")

    async def _pump(self) -> None:
        try:
            while True:
                try:
                    msg = await self.feed.next_admitted(self.hub.poll_s)
                except nats.errors.ConnectionClosedError:
                    return  # the gateway is shutting down
                if msg is None:
                    if self.feed.sub is not None and len(self.history) >= self.feed.pending_at_start:
                        self.ready.set()
                    if not self.watchers and time.monotonic() - self.idle_since > self.hub.linger_s:
                        return
                    continue
                batch = [msg]
                while self.feed.queued() and len(batch) < BATCH_MAX:  # what arrived together goes out together
                    more = await self.feed.next_admitted(self.hub.poll_s)
                    if more is not None:
                        batch.append(more)
                for msg in batch:
                    item = Item.of(msg)
                    self.history.append(item)
                    for watcher in list(self.watchers):
                        watcher.offer(item)
                    if not msg.metadata.num_pending:
                        self.ready.set()
                for watcher in self.watchers:  # each writes the whole batch at once
                    watcher.wake()
        except Exception:  # never let one generation's channel take the others down; watchers reconnect
            log.exception("SSE channel of %s stopped", self.generation_id)
        finally:
            await self._close()

    async def _close(self) -> None:
        self.closed = True
        if self.hub.channels.get(self.generation_id) is self:
            del self.hub.channels[self.generation_id]
            SSE_CHANNELS.dec()
        for watcher in list(self.watchers):
            watcher.close()
        await self.feed.close()

    def attach(self, after_seq: int) -> "Watcher":
        """A new watcher that gets every event after `after_seq`: the history now, live ones as they come.
        Nothing awaits between the history snapshot and joining the channel, so no event falls in between."""
        start = bisect.bisect_right([i.seq for i in self.history], after_seq)
        replay = self.history[start:]
        watcher = Watcher(self, after_seq, self.hub.backlog + len(replay))
        watcher.backlog.extend(replay)
        self.watchers.add(watcher)
        return watcher

    def detach(self, watcher: "Watcher") -> None:
        self.watchers.discard(watcher)
        if not self.watchers:
            self.idle_since = time.monotonic()

    async def round_now(self, fresh: bool = False) -> int:
        """The generation's retry round, read from the document at most once per ATTEMPT_TTL_S (`fresh`: now)."""
        return await self._attempt.get(self.current_attempt, fresh=fresh)

    @property
    def waits_after_end(self) -> bool:
        """Whether a watcher stays open after the end for events beside the pipeline."""
        return self.more_after_end is not None and self.hub.more_wait_s > 0

    async def more_to_come(self) -> bool:
        """Whether events beside the pipeline are still awaited, read at most once per ATTEMPT_TTL_S."""
        if self.more_after_end is None or self.hub.more_wait_s <= 0:
            return False
        return await self._more.get(self.more_after_end)

    async def rendering_now(self, at_seq: int | None = None) -> int:
        """The version being rendered now, read once per ending event (`at_seq`: every watcher reaching the same
        event shares the read) or, without `at_seq`, read afresh (a client that connects right after asking for a
        version must not be told the ad has ended)."""
        if self.rendering_version is None:
            return 0
        return await self._rendering.get(self.rendering_version, -1 if at_seq is None else at_seq,
                                         fresh=at_seq is None)

    async def ends_feed(self, item: Item, fresh: bool = False) -> bool:
        """An ending event of the current round, with no later version rendering or ended after it."""
        if not item.terminal or item.attempt < await self.round_now(fresh):
            return False
        for newer in reversed(self.history):  # from the newest back to this one
            if newer.seq <= item.seq:
                break
            if newer.terminal:
                return False
        return not await self.rendering_now(None if fresh else item.seq)

    async def finished_before(self, after_seq: int) -> bool:
        """The client already saw the end (the latest terminal event, of the current round)."""
        last = next((i for i in reversed(self.history) if i.terminal), None)
        return last is not None and last.seq <= after_seq and await self.ends_feed(last, fresh=True)


class Watcher:
    """One SSE client of a channel.

    Its stream waits on a bare future that the channel resolves (no `asyncio.wait_for`, which made a task and a
    timer per wait, per event, per client) and on one timer per watcher for the keep-alive and the looks after the
    end: the timer stays armed while events flow, so a busy stream costs no timer work per event."""

    def __init__(self, channel: Channel, after_seq: int, max_backlog: int) -> None:
        self.channel = channel
        self.gate = SequenceGate(after_seq)
        self.backlog: deque[Item] = deque()
        self.max_backlog = max_backlog
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self.overflowed = False
        self.closed = False
        self.finished = False
        self.ended: float | None = None
        """When (loop time) the end went out while events beside the pipeline were still awaited (then only
        those pass)."""
        self.settled = False
        """Nothing more was awaited at the last look: one more quiet wait and the stream ends."""

    def offer(self, item: Item) -> None:
        """Called by the channel for every new event; never waits. The channel wakes the watcher once it has
        offered every event that arrived together (`wake`), so they go out in one write."""
        if self.overflowed or self.closed:
            return
        if len(self.backlog) >= self.max_backlog:
            self.overflowed = True
            self.channel.detach(self)
            self.wake()
        else:
            self.backlog.append(item)

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        self.closed = True
        self.wake()

    def _ring(self) -> None:
        self._timer = None
        self.wake()

    async def _wait(self, loop: asyncio.AbstractEventLoop, until: float) -> None:
        """Until an event is offered, the watcher is closed, or `until` (loop time), whichever comes first. A
        timer armed earlier for a sooner time is kept: it wakes the stream early, which then just waits again."""
        if self._timer is None or self._timer_at > until:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_at = loop.call_at(until, self._ring), until
        self._waiter = loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def stream_text(self) -> AsyncIterator[str]:
        hub = self.channel.hub
        loop = asyncio.get_running_loop()
        SSE_CLIENTS.inc()
        try:
            yield f"retry: {hub.retry_ms}\n\n"
            if self.finished:
                return
            said = look_at = loop.time()
            """The last write; when the next look after the end is due (one quiet poll period after the last
            event, or the last look)."""
            look_at += hub.poll_s
            while True:
                if not self.backlog:
                    if self.overflowed:
                        SSE_SLOW_CLIENTS.inc()
                        yield f"retry: {hub.retry_ms}\n\n"  # reconnect with Last-Event-ID: history has the rest
                        return
                    if self.closed:
                        return
                    now = loop.time()
                    if self.ended is not None and now >= look_at - TIMER_SLACK_S:  # a quiet wait after the end
                        if self.settled or now - self.ended > hub.more_wait_s:
                            return
                        self.settled = not await self.channel.more_to_come()
                        look_at = loop.time() + hub.poll_s
                        continue
                    if now - said >= hub.keepalive_s - TIMER_SLACK_S:
                        said = now
                        yield ": keep-alive\n\n"
                        continue
                    await self._wait(loop, said + hub.keepalive_s if self.ended is None
                                     else min(said + hub.keepalive_s, look_at))
                    continue
                frames, spans, end, look = [], [], False, False
                while self.backlog and not end:
                    item = self.backlog.popleft()
                    if self.ended is not None and item.type not in AFTER_END:
                        continue  # after the end only what works beside the pipeline is shown
                    if not self.gate.admit(item.seq):
                        continue
                    frames.append(item.frame)
                    if item.carried is not None:  # the producer's trace context (None when tracing is off)
                        spans.append(tracer().start_span(
                            f"gateway sse send {item.type}", context=item.carried, kind=SpanKind.PRODUCER,
                            attributes={"admint.generation_id": self.channel.generation_id,
                                        "admint.stream_sequence": item.seq}))
                    if self.ended is not None:
                        look = True
                    elif item.terminal and await self.channel.ends_feed(item):
                        if self.channel.waits_after_end:
                            self.ended, look = loop.time(), True
                        else:
                            end = True
                look_at = loop.time() + hub.poll_s  # an event came: the quiet wait starts again
                if frames:
                    said = loop.time()
                    yield "".join(frames)
                for span in spans:  # they end when the client took the frames
                    span.end()
                if end:
                    return  # the end, unless a retry round (POST …/retry) followed it
                if look:
                    self.settled = not await self.channel.more_to_come()
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            SSE_CLIENTS.dec()
            self.channel.detach(self)


class SseHub:
    """The channels of one gateway process, by generation."""

    def __init__(self, nc: NatsClient, js: JetStreamContext, stream: str, *, keepalive_s: float, retry_ms: int,
                 backlog: int = 500, linger_s: float = 30.0, heartbeat_s: float | None = None,
                 open_timeout_s: float = 10.0, more_wait_s: float = 0.0) -> None:
        self.nc, self.js, self.stream = nc, js, stream
        self.keepalive_s, self.retry_ms = keepalive_s, retry_ms
        self.more_wait_s = more_wait_s
        """How long a watcher stays open after a completion for the events still to come beside the pipeline."""
        self.backlog, self.linger_s = backlog, linger_s
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else min(5.0, max(1.0, keepalive_s))
        self.poll_s = min(keepalive_s, self.heartbeat_s)
        self.open_timeout_s = open_timeout_s
        self.channels: dict[str, Channel] = {}
        self._opening: dict[str, asyncio.Task[Channel]] = {}

    async def watch(self, generation_id: str, after_seq: int, current_attempt: Callable[[], Awaitable[int]],
                    more_after_end: Callable[[], Awaitable[bool]] | None = None,
                    rendering_version: Callable[[], Awaitable[int]] | None = None) -> Watcher:
        """A watcher of the generation after `after_seq`; raises when its channel cannot be opened (NATS away),
        which the route answers with a 503. `more_after_end` says whether events beside the pipeline are still
        to come after a completion (the channel keeps the first one it is given)."""
        channel = await self._channel(generation_id, current_attempt, more_after_end)
        if channel.more_after_end is None:
            channel.more_after_end = more_after_end
        if channel.rendering_version is None:
            channel.rendering_version = rendering_version
        if after_seq > 0:  # whether the client saw the end already needs the history up to now
            await asyncio.wait_for(channel.ready.wait(), self.open_timeout_s)
        watcher = channel.attach(after_seq)
        if after_seq > 0 and await channel.finished_before(after_seq):
            if await channel.more_to_come():
                watcher.ended = asyncio.get_running_loop().time()  # it saw the end: only what still comes beside it
            else:
                watcher.finished = True
                channel.detach(watcher)
        return watcher

    async def _channel(self, generation_id: str, current_attempt: Callable[[], Awaitable[int]],
                       more_after_end: Callable[[], Awaitable[bool]] | None) -> Channel:
        channel = self.channels.get(generation_id)
        if channel is not None and not channel.closed:
            return channel
        opening = self._opening.get(generation_id)
        if opening is None:  # the first of a burst of clients opens it; the others wait for the same channel
            opening = asyncio.create_task(self._open(generation_id, current_attempt, more_after_end))
            self._opening[generation_id] = opening
            opening.add_done_callback(lambda _: self._opening.pop(generation_id, None))
        return await asyncio.shield(opening)

    async def _open(self, generation_id: str, current_attempt: Callable[[], Awaitable[int]],
                    more_after_end: Callable[[], Awaitable[bool]] | None) -> Channel:
        channel = Channel(self, generation_id, current_attempt, more_after_end)
        try:
            await asyncio.wait_for(channel.open(), self.open_timeout_s)
        except BaseException:
            await channel.feed.close()
            raise
        self.channels[generation_id] = channel
        SSE_CHANNELS.inc()
        return channel

    async def close(self) -> None:
        for channel in list(self.channels.values()):
            if channel.task is not None:
                channel.task.cancel()
        await asyncio.gather(*(c.task for c in list(self.channels.values()) if c.task), return_exceptions=True)
