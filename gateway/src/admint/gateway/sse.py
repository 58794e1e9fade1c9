"""The SSE feed of one generation: tail JetStream `gen.<id>.>` with an ordered consumer.

`id:` is the stream sequence, so `Last-Event-ID` resumes exactly after the last event a client saw (nothing lost,
nothing repeated). The feed ends after the first terminal event; a client that resumes after it gets an empty,
finished stream instead of waiting forever.
"""

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from prometheus_client import Gauge

from admint.contracts.registry import TERMINAL_TYPES
from admint.contracts.subjects import generation_filter, parse_subject, subject_for

log = logging.getLogger(__name__)
SSE_CLIENTS = Gauge("admint_gateway_sse_clients", "Open SSE connections.")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def format_event(seq: int, event_type: str, data: bytes | str) -> str:
    text = data.decode() if isinstance(data, bytes) else data
    lines = "".join(f"data: {line}\n" for line in text.splitlines() or [""])
    return f"id: {seq}\nevent: {event_type}\n{lines}\n"


async def latest_terminal(js: JetStreamContext, stream: str, generation_id: str) -> tuple[int, int] | None:
    """(stream sequence, retry round) of the generation's latest terminal event still in the stream, if any."""
    found: list[tuple[int, int]] = []
    for event_type in sorted(TERMINAL_TYPES):
        with contextlib.suppress(NotFoundError):
            msg = await js.get_last_msg(stream, subject_for(generation_id, event_type))
            if msg.seq is not None:
                found.append((int(msg.seq), _attempt(msg.data or b"")))
    return max(found) if found else None


def _attempt(data: bytes) -> int:
    with contextlib.suppress(ValueError, TypeError):
        return int(json.loads(data).get("attempt", 0))
    return 0


class EventFeed:
    """One client's subscription; open() before answering, so a broken bus is a 503, not a broken stream."""

    def __init__(self, js: JetStreamContext, stream: str, generation_id: str, after_seq: int,
                 keepalive_s: float, retry_ms: int, current_attempt: Callable[[], Awaitable[int]]) -> None:
        self.current_attempt = current_attempt
        """The generation's retry round now: a terminal event of an older round does not end the feed."""
        self.js = js
        self.stream = stream
        self.generation_id = generation_id
        self.after_seq = after_seq
        self.keepalive_s = keepalive_s
        self.retry_ms = retry_ms
        self.sub: JetStreamContext.PushSubscription | None = None
        self.finished = False

    async def open(self) -> None:
        if self.after_seq > 0:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self.after_seq + 1)
        else:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        self.sub = await self.js.subscribe(
            generation_filter(self.generation_id), stream=self.stream, ordered_consumer=True, config=config,
            inactive_threshold=60.0,
        )
        if self.after_seq > 0:
            done = await latest_terminal(self.js, self.stream, self.generation_id)
            if done is not None and done[0] <= self.after_seq and done[1] >= await self.current_attempt():
                self.finished = True  # the client already saw the end (and no retry round followed it)
                await self.close()

    async def close(self) -> None:
        if self.sub is not None:
            with contextlib.suppress(Exception):
                await self.sub.unsubscribe()
            self.sub = None

    async def stream_text(self) -> AsyncIterator[str]:
        SSE_CLIENTS.inc()
        try:
            yield f"retry: {self.retry_ms}\n\n"
            if self.finished or self.sub is None:
                return
            while True:
                try:
                    msg = await self.sub.next_msg(timeout=self.keepalive_s)
                except nats.errors.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                _, event_type = parse_subject(msg.subject)
                yield format_event(int(msg.metadata.sequence.stream), event_type, msg.data)
                if event_type in TERMINAL_TYPES and _attempt(msg.data) >= await self.current_attempt():
                    return  # the end, unless a retry round (POST …/retry) followed it
        finally:
            SSE_CLIENTS.dec()
            await self.close()
