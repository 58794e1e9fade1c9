"""The SSE feed's exactly-once promise against a scripted JetStream: consumers that replay history, vanish, or
lose a message on the way never make a client see an id twice, out of order, or at/below where it resumed."""

import asyncio
import re
from types import SimpleNamespace
from typing import Any

import nats.errors
import pytest
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError

from admint.gateway.sse import EventFeed, SequenceGate

pytestmark = pytest.mark.unit
GID = "G1"
HB = 0.05


def test_the_gate_lets_each_sequence_through_once_and_only_upwards() -> None:
    gate = SequenceGate(5)
    admitted = [seq for seq in (3, 5, 6, 6, 4, 7, 10, 9, 10, 11) if gate.admit(seq)]
    assert admitted == [6, 7, 10, 11] and gate.last == 11
    fresh = SequenceGate(0)  # a client that did not resume: everything from the first event
    assert [seq for seq in (1, 1, 2) if fresh.admit(seq)] == [1, 2]


class Sub:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.unsubscribed = False

    async def next_msg(self, timeout: float) -> Any:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            raise nats.errors.TimeoutError from None

    async def unsubscribe(self) -> None:
        self.unsubscribed = True


class Consumer:
    def __init__(self, sub: Sub, start: int) -> None:
        self.sub, self.start, self.pushed, self.alive = sub, start, 0, True
        self.skip_next = False

    def push(self, seq: int, subject: str) -> None:
        if not self.alive or seq < self.start:
            return
        self.pushed += 1
        if self.skip_next:  # lost on the way to the client (e.g. a slow-consumer drop)
            self.skip_next = False
            return
        meta = SimpleNamespace(sequence=SimpleNamespace(stream=seq, consumer=self.pushed))
        self.sub.queue.put_nowait(SimpleNamespace(subject=subject, data=b'{"attempt": 0}', headers=None,
                                                  metadata=meta))


class Bus:
    """One generation's events in a stream, push consumers with idle heartbeats, scripted by the test."""

    def __init__(self, history: list[int], *, start_from_one: bool = False) -> None:
        self.messages = [(seq, f"gen.{GID}.stage.progress.v1") for seq in history]
        self.start_from_one = start_from_one  # what nats-py's ordered consumer did after a reset
        self.subs: dict[str, Sub] = {}
        self.consumers: list[Consumer] = []
        self.configs: list[ConsumerConfig] = []
        self.deleted: list[str] = []
        self.is_closed = False
        self.beating = asyncio.create_task(self._heartbeats())

    def new_inbox(self) -> str:
        return f"_INBOX.{len(self.subs)}"

    async def subscribe(self, inbox: str) -> Sub:
        self.subs[inbox] = Sub()
        return self.subs[inbox]

    async def add_consumer(self, stream: str, config: ConsumerConfig, timeout: float | None = None) -> Any:
        self.configs.append(config)
        assert config.deliver_subject is not None and config.opt_start_seq is not None
        start = 1 if self.start_from_one else config.opt_start_seq
        consumer = Consumer(self.subs[config.deliver_subject], start)
        self.consumers.append(consumer)
        for seq, subject in self.messages:
            consumer.push(seq, subject)
        return SimpleNamespace(name=f"C{len(self.consumers)}",
                               num_pending=sum(1 for seq, _ in self.messages if seq >= start))

    async def delete_consumer(self, stream: str, name: str) -> bool:
        self.deleted.append(name)
        self.consumers[int(name[1:]) - 1].alive = False
        return True

    async def get_last_msg(self, stream: str, subject: str) -> Any:
        raise NotFoundError

    def publish(self, seq: int, event_type: str = "stage.progress.v1") -> None:
        self.messages.append((seq, f"gen.{GID}.{event_type}"))
        for consumer in self.consumers:
            consumer.push(seq, self.messages[-1][1])

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(HB)
            for c in self.consumers:
                if c.alive:
                    c.sub.queue.put_nowait(SimpleNamespace(headers={"Status": "100",
                                                                    "Nats-Last-Consumer": str(c.pushed)}))


async def feed_of(bus: Bus, after: int) -> tuple[EventFeed, list[int], asyncio.Task[None]]:
    async def attempt() -> int:
        return 0

    feed = EventFeed(bus, bus, "ADMINT", GID, after, keepalive_s=HB, retry_ms=100,  # type: ignore[arg-type]
                     current_attempt=attempt, heartbeat_s=HB)
    await feed.open()
    ids: list[int] = []

    async def read() -> None:
        async for chunk in feed.stream_text():
            ids.extend(int(n) for n in re.findall(r"^id: (\d+)$", chunk, re.M))

    return feed, ids, asyncio.create_task(read())


async def until(predicate: Any, timeout_s: float = 5) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_consumer_that_replays_the_whole_history_sends_nothing_twice() -> None:
    bus = Bus([2, 5, 7, 9], start_from_one=True)
    _, ids, reading = await feed_of(bus, after=5)
    await until(lambda: ids == [7, 9])
    bus.consumers[0].alive = False  # forgotten by a restart: the new consumer replays from 1 again
    await until(lambda: len(bus.consumers) == 2)
    bus.publish(11)
    bus.publish(12, "generation.completed.v1")
    await asyncio.wait_for(reading, 5)
    assert ids == [7, 9, 11, 12]
    bus.beating.cancel()


async def test_a_forgotten_consumer_is_replaced_from_the_last_sent_plus_one() -> None:
    bus = Bus([1, 3])
    feed, ids, reading = await feed_of(bus, after=3)
    assert bus.configs[0].opt_start_seq == 4
    bus.publish(6)
    await until(lambda: ids == [6])
    bus.consumers[0].alive = False  # the server restarted and lost it: no messages, no heartbeats
    bus.publish(7)  # stored in the stream while nobody pushes it
    await until(lambda: len(bus.consumers) == 2)
    assert bus.configs[1].opt_start_seq == 7 and bus.subs["_INBOX.0"].unsubscribed
    bus.publish(8, "generation.completed.v1")
    await asyncio.wait_for(reading, 5)
    assert ids == [6, 7, 8]
    assert bus.deleted[-1] == "C2" and feed.sub is None  # the feed cleans up after itself
    bus.beating.cancel()


@pytest.mark.parametrize("lost_at_the_end", [False, True])
async def test_a_message_lost_on_the_way_is_fetched_again_in_order(lost_at_the_end: bool) -> None:
    """Noticed by the next message's consumer sequence, or, when nothing follows, by the heartbeat's count."""
    bus = Bus([])
    _, ids, reading = await feed_of(bus, after=0)
    bus.publish(1)
    bus.consumers[0].skip_next = True
    bus.publish(2)
    if not lost_at_the_end:
        bus.publish(3)
    await until(lambda: ids[-1:] == [2 if lost_at_the_end else 3])
    assert len(bus.consumers) == 2 and bus.configs[1].opt_start_seq == 2
    bus.publish(4, "generation.completed.v1")
    await asyncio.wait_for(reading, 5)
    assert ids == [1, 2, 4] if lost_at_the_end else [1, 2, 3, 4]
    bus.beating.cancel()


async def scored_feed(bus: Bus, pending: list[bool], wait_s: float = 5.0) -> tuple[list[int], asyncio.Task[None]]:
    async def attempt() -> int:
        return 0

    async def more() -> bool:
        return pending[0]

    feed = EventFeed(bus, bus, "ADMINT", GID, 0, keepalive_s=HB, retry_ms=100,  # type: ignore[arg-type]
                     current_attempt=attempt, heartbeat_s=HB, more_after_end=more, more_wait_s=wait_s)
    await feed.open()
    ids: list[int] = []

    async def read() -> None:
        async for chunk in feed.stream_text():
            ids.extend(int(n) for n in re.findall(r"^id: (\d+)$", chunk, re.M))

    return ids, asyncio.create_task(read())


async def test_scores_published_after_completion_still_reach_the_feed() -> None:
    bus = Bus([1])
    pending = [True]
    ids, reading = await scored_feed(bus, pending)
    bus.publish(2, "generation.completed.v1")
    await until(lambda: ids == [1, 2])
    await asyncio.sleep(5 * HB)
    assert not reading.done()  # the master's score is still to come
    bus.publish(3, "quality.scored.v1")
    pending[0] = False  # recorded just before its event is published: the feed reads once more
    bus.publish(4, "quality.scored.v1")
    await asyncio.wait_for(reading, 5)
    assert ids == [1, 2, 3, 4]
    bus.beating.cancel()


async def test_a_score_that_never_comes_ends_the_feed_after_the_wait() -> None:
    bus = Bus([1])
    ids, reading = await scored_feed(bus, [True], wait_s=10 * HB)
    bus.publish(2, "generation.completed.v1")
    await asyncio.wait_for(reading, 5)
    assert ids == [1, 2]
    bus.beating.cancel()


async def test_with_nothing_pending_the_feed_ends_after_one_quiet_read() -> None:
    bus = Bus([1])
    ids, reading = await scored_feed(bus, [False])
    bus.publish(2, "generation.completed.v1")
    bus.publish(3, "quality.scored.v1")  # published right after completion: still delivered
    await asyncio.wait_for(reading, 5)
    assert ids == [1, 2, 3]
    bus.beating.cancel()
