"""Worker semantics that need no server: concurrent redelivery of a message still being handled."""

import asyncio
from dataclasses import dataclass, field

import pytest

from admint.contracts.generation import StageProgress
from admint.core.topology import ConsumerSpec
from admint.core.worker import Subscription, Worker
from tests.support.fakes import FakeGenerationStore

pytestmark = pytest.mark.unit


@dataclass
class FakeDelivery:
    subject: str
    deliveries: int = 1
    stream_sequence: int = 7
    log: list[str] = field(default_factory=list)

    async def ack(self) -> None:
        self.log.append("ack")

    async def nak(self, delay: float) -> None:
        self.log.append("nak")

    async def in_progress(self) -> None:
        self.log.append("in_progress")


class Published:
    def __init__(self) -> None:
        self.events: list[object] = []

    async def publish(self, event: object) -> bool:
        self.events.append(event)
        return True


async def test_a_redelivery_while_still_handling_does_not_run_the_work_twice() -> None:
    calls = 0

    async def slow(event: StageProgress) -> list:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)
        return []

    event = StageProgress(generation_id="G1", producer="t", stage="chunking", done=0, total=1)
    sub = Subscription(ConsumerSpec("svc", "svc-work", "stage.progress.v1"), StageProgress, slow, stage="chunking")
    worker = Worker("svc", FakeGenerationStore(), Published())
    first = FakeDelivery(event.subject)
    again = FakeDelivery(event.subject, deliveries=2)
    outcomes = await asyncio.gather(worker.deliver(sub, first, event), worker.deliver(sub, again, event))
    assert sorted(outcomes) == ["duplicate_in_flight", "ok"]
    assert calls == 1 and first.log == ["ack"] and again.log == ["in_progress"]
    # once finished, a later redelivery is handled normally (idempotent handlers make that safe)
    assert await worker.deliver(sub, FakeDelivery(event.subject, 3), event) == "ok"
    assert calls == 2


def test_status_cache_trusts_a_live_read_briefly_and_an_end_until_a_later_round() -> None:
    from admint.core.worker import StatusCache

    now = [0.0]
    cache = StatusCache(ttl_s=2.0, clock=lambda: now[0])
    assert cache.knows("G", 0) is None  # never read: read the document
    assert cache.read("G", 0, "chunking") is False
    now[0] += 1.9
    assert cache.knows("G", 0) is False  # a burst of events of one generation: one read
    now[0] += 0.2
    assert cache.knows("G", 0) is None  # stale: read again
    cache.ended("G", 0)  # heard generation.cancelled / completed / failed on the bus
    assert cache.knows("G", 0) is True
    assert cache.knows("G", 1) is None  # a retry round's event always reads the document
    assert cache.knows("G", 0) is None  # …and from then on the document decides
    assert cache.read("H", 2, "failed") is True and cache.knows("H", 2) is True
