"""The SSE hub's fan-out without a bus: events that arrive together go out to a watcher in one write, the reads
every watcher shares happen once however many ask at once, and a watcher's one timer brings keep-alives."""

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from admint.contracts.subjects import subject_for
from admint.gateway.hub import Channel, SharedRead, SseHub

pytestmark = pytest.mark.unit
GID = "G1"


def msg(seq: int, event_type: str = "stage.progress.v1", pending: int = 0) -> Any:
    meta = SimpleNamespace(sequence=SimpleNamespace(stream=seq, consumer=seq), num_pending=pending)
    return SimpleNamespace(subject=subject_for(GID, event_type), data=b'{"attempt": 0}', headers=None,
                           metadata=meta)


class Feed:
    """The channel's feed, scripted: `arrive` delivers messages at once, as one socket read does."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.sub = object()
        self.pending_at_start = 0

    def arrive(self, *messages: Any) -> None:
        for m in messages:
            self.queue.put_nowait(m)

    def queued(self) -> int:
        return self.queue.qsize()

    async def next_admitted(self, timeout: float) -> Any:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    async def close(self) -> None:
        pass


async def round_zero() -> int:
    return 0


def channel_of(hub: SseHub) -> tuple[Channel, Feed]:
    channel = Channel(hub, GID, round_zero)
    feed = Feed()
    channel.feed = feed  # type: ignore[assignment]
    channel.ready.set()
    channel.task = asyncio.create_task(channel._pump())
    return channel, feed


def ids_of(chunk: str) -> list[int]:
    return [int(line[4:]) for line in chunk.splitlines() if line.startswith("id: ")]


async def test_events_that_arrive_together_go_out_in_one_write_and_the_stream_ends_at_the_end() -> None:
    hub = SseHub(None, None, "ADMINT", keepalive_s=30.0, retry_ms=250)  # type: ignore[arg-type]
    channel, feed = channel_of(hub)
    watchers = [channel.attach(0) for _ in range(50)]
    streams = [w.stream_text() for w in watchers]
    for s in streams:
        assert await anext(s) == "retry: 250\n\n"
    reads = [asyncio.create_task(anext(s)) for s in streams]
    feed.arrive(msg(1), msg(2), msg(3))
    assert [ids_of(chunk) for chunk in await asyncio.gather(*reads)] == [[1, 2, 3]] * 50
    feed.arrive(msg(4), msg(5, "generation.completed.v1"))
    rests = await asyncio.gather(*(asyncio.wait_for(_rest(s), 10) for s in streams))
    assert all(rest == [[4, 5]] for rest in rests)  # one write, then the end
    assert not channel.watchers and all(w._timer is None for w in watchers)
    channel.task.cancel()
    await asyncio.gather(channel.task, return_exceptions=True)


async def _rest(stream: Any) -> list[list[int]]:
    return [ids_of(chunk) async for chunk in stream]


async def test_a_quiet_watcher_gets_keep_alives_from_its_timer_then_the_next_event() -> None:
    hub = SseHub(None, None, "ADMINT", keepalive_s=0.05, retry_ms=250)  # type: ignore[arg-type]
    channel, feed = channel_of(hub)
    stream = channel.attach(0).stream_text()
    assert await anext(stream) == "retry: 250\n\n"
    assert [await asyncio.wait_for(anext(stream), 10) for _ in range(3)] == [": keep-alive\n\n"] * 3
    feed.arrive(msg(7))
    chunk = await asyncio.wait_for(anext(stream), 10)
    while chunk == ": keep-alive\n\n":
        chunk = await asyncio.wait_for(anext(stream), 10)
    assert ids_of(chunk) == [7]
    await stream.aclose()
    channel.task.cancel()
    await asyncio.gather(channel.task, return_exceptions=True)


async def test_a_shared_read_is_made_once_for_everyone_asking_at_once() -> None:
    reads: list[int] = []
    gate = asyncio.Event()

    async def read() -> int:
        reads.append(1)
        await gate.wait()
        return len(reads)

    shared: SharedRead[int] = SharedRead(3600.0)
    askers = [asyncio.create_task(shared.get(read)) for _ in range(1000)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*askers) == [1] * 1000 and len(reads) == 1
    assert await shared.get(read) == 1 and len(reads) == 1  # still trusted
    assert await shared.get(read, fresh=True) == 2  # read afresh when asked to
    assert await shared.get(read, key="another") == 3  # per key
    assert await SharedRead[int](0.0).get(read) == 4


async def test_a_failed_shared_read_is_not_kept() -> None:
    outcomes: list[object] = [RuntimeError("the document store is away"), 5]

    async def read() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, int)
        return outcome

    shared: SharedRead[int] = SharedRead(3600.0)
    with pytest.raises(RuntimeError):
        await shared.get(read)
    assert await shared.get(read) == 5
