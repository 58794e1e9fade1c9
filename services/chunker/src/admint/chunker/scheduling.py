"""Which chunk encode gets the CPU: the beat with the longest chain of work left first.

A chunker process handles several chunk requests at once (max_inflight), so a continuing chunk starts when it is
requested; but the encodes (rendering plus x264, CPU-bound) that run beside each other share the cores evenly, and
the stage lasts as long as its longest chain of chunks. So encodes take a slot — one per core by default — and a
freed slot goes to the waiting chunk whose beat has the most seconds left from where it starts (critical path
first; ties: first come). A model call (a remote model's wait) never holds a slot: only the encode does.
"""

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator

from admint.contracts.chunks import ChunkRequested
from admint.core.cpus import usable_cpus


def chain_left_s(event: ChunkRequested) -> float:
    """Seconds of its beat from this chunk's start to the beat's end: the chain of chunks still to render."""
    return max(0.0, event.beat_length_s - event.beat_offset_s)


def default_slots(configured: int) -> int:
    """Configured slots, or one per CPU core (0)."""
    return configured if configured > 0 else usable_cpus()


class PrioritySlots:
    """At most `limit` holders at once; a freed slot goes to the waiter with the highest priority (then the one
    that came first). Cancelling a waiter gives up its place (or its slot, if it was just handed one)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("at least one slot")
        self.limit = limit
        self.held = 0
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for *_, f in self._waiters if not f.done())

    @contextlib.asynccontextmanager
    async def hold(self, priority: float) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: float) -> None:
        if self.held < self.limit and not self.waiting:
            self.held += 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (-priority, next(self._order), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # handed the slot as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiters:
            *_, granted = heapq.heappop(self._waiters)
            if not granted.done():
                granted.set_result(None)  # the slot moves to the waiter: held stays the same
                return
        self.held -= 1
