"""The SSE feed of a generation group: every member's events in one stream, in stream order.

One consumer filtered on every member's subjects (`gen.<id>.>` each), so `id:` is still the stream sequence and
Last-Event-ID resumes exactly as for one generation. The feed ends once every member has ended (its terminal event
of its current retry round) and no member's quality scores are still to come.
"""

from collections.abc import Awaitable, Callable

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from admint.contracts.registry import TERMINAL_TYPES
from admint.contracts.subjects import generation_filter, parse_subject
from admint.gateway.sse import EventFeed, _attempt, latest_terminal


class GroupFeed(EventFeed):
    def __init__(self, nc: NatsClient, js: JetStreamContext, stream: str, group_id: str, members: list[str],
                 after_seq: int, keepalive_s: float, retry_ms: int,
                 attempts: Callable[[], Awaitable[dict[str, int]]],
                 more_after_end: Callable[[], Awaitable[bool]] | None = None, more_wait_s: float = 0.0) -> None:
        async def no_round() -> int:
            return 0

        super().__init__(nc, js, stream, group_id, after_seq, keepalive_s, retry_ms, no_round,
                         more_after_end=more_after_end, more_wait_s=more_wait_s)
        self.members = list(members)
        self.attempts = attempts
        """Each member's retry round now."""
        self.ended: set[str] = set()

    def _filters(self) -> list[str]:
        return [generation_filter(g) for g in self.members]

    async def _seen_the_end(self) -> bool:
        rounds = await self.attempts()
        for member in self.members:
            done = await latest_terminal(self.js, self.stream, member)
            if done is not None and done[0] <= self.after_seq and done[1] >= rounds.get(member, 0):
                self.ended.add(member)
        return self.ended >= set(self.members)

    async def _is_end(self, subject: str, event_type: str, data: bytes) -> bool:
        if event_type in TERMINAL_TYPES:
            member, _ = parse_subject(subject)
            if _attempt(data) >= (await self.attempts()).get(member, 0):
                self.ended.add(member)
        return self.ended >= set(self.members)
