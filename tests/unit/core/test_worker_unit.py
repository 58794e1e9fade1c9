"""Worker semantics that need no server: concurrent redelivery of a message still being handled."""

import asyncio
from dataclasses import dataclass, field

import pytest
from nats.errors import NoServersError
from pymongo.errors import AutoReconnect

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


async def test_cancelling_a_generation_cancels_its_work_but_not_the_work_beside_the_pipeline() -> None:
    """The notifier handles generation.cancelled.v1 while the cancel broadcast arrives: it must finish."""
    started = {"work": asyncio.Event(), "notify": asyncio.Event()}
    release = asyncio.Event()

    def holding(name: str):  # type: ignore[no-untyped-def]
        async def handler(event: StageProgress) -> list:
            started[name].set()
            await release.wait()
            return []

        return handler

    spec = ConsumerSpec("svc", "svc-work", "stage.progress.v1")
    work = Subscription(spec, StageProgress, holding("work"), stage="chunking")
    notify = Subscription(spec, StageProgress, holding("notify"), None, False, False, cancellable=False)
    worker = Worker("svc", FakeGenerationStore(), Published())
    event = StageProgress(generation_id="G2", producer="t", stage="chunking", done=0, total=1)
    other = FakeDelivery(event.subject, stream_sequence=8)
    running = [asyncio.create_task(worker.deliver(work, FakeDelivery(event.subject), event)),
               asyncio.create_task(worker.deliver(notify, other, event))]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started.values())), 5)
    assert worker.cancel_generation("G2") == 1
    release.set()
    assert await asyncio.gather(*running) == ["cancelled", "ok"]
    assert other.log == ["ack"]


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


@pytest.mark.parametrize("outage", [AutoReconnect("connection reset"), ConnectionRefusedError(111, "refused"),
                                    NoServersError()])
async def test_a_backing_server_that_is_away_is_retried_not_parked(outage: Exception) -> None:
    """MongoDB or NATS restarting must never turn good messages into poison (they count as transient)."""

    async def unlucky(event: StageProgress) -> list:
        raise outage

    event = StageProgress(generation_id="G1", producer="t", stage="chunking", done=0, total=1)
    spec = ConsumerSpec("svc", "svc-work", "stage.progress.v1", max_deliver=3, max_transient_deliver=40)
    worker = Worker("svc", FakeGenerationStore(), Published())
    delivery = FakeDelivery(event.subject, deliveries=10)  # far past max_deliver
    sub = Subscription(spec, StageProgress, unlucky, stage="chunking")
    assert await worker.deliver(sub, delivery, event) == "retry"
    assert delivery.log == ["nak"]


async def test_a_service_beside_the_pipeline_never_fails_a_generation() -> None:
    """The notifier's subscriptions have no stage: a permanent error or a poison message is dropped or parked,
    and the generation goes on untouched; a pipeline stage's permanent error fails it with the reason."""
    from admint.contracts.generation import GenerationFailed
    from admint.core.budget import BudgetExceeded
    from tests.support import builders

    async def refuse(event: StageProgress) -> list:
        raise BudgetExceeded("stopped before chunk 2-0: it costs 0.46 USD")

    docs = FakeGenerationStore()
    await docs.create(builders.generation("G1", status="chunking"))
    event = StageProgress(generation_id="G1", producer="t", stage="chunking", done=0, total=1)
    published = Published()
    worker = Worker("svc", docs, published)
    beside = Subscription(ConsumerSpec("notifier", "n", "stage.progress.v1", max_deliver=1), StageProgress, refuse,
                          stage=None, skip_terminal=False)
    assert await worker.deliver(beside, FakeDelivery(event.subject), event) == "given_up"
    assert await docs.status("G1") == "chunking" and published.events == []

    async def crash(event: StageProgress) -> list:
        raise RuntimeError("boom")

    poison = Subscription(ConsumerSpec("notifier", "n", "stage.progress.v1", max_deliver=1), StageProgress, crash,
                          stage=None, skip_terminal=False)
    assert await worker.deliver(poison, FakeDelivery(event.subject), event) == "dead_lettered"
    assert await docs.status("G1") == "chunking"
    assert [e.type for e in published.events] == ["message.deadlettered.v1"]

    stage = Subscription(ConsumerSpec("chunker", "c", "stage.progress.v1"), StageProgress, refuse, stage="chunking")
    assert await worker.deliver(stage, FakeDelivery(event.subject), event) == "failed"
    doc = await docs.get("G1")
    assert doc is not None and doc.status == "failed" and doc.error is not None
    assert doc.error.reason.startswith("stopped before chunk 2-0")
    assert isinstance(published.events[-1], GenerationFailed)


async def test_work_beside_the_pipeline_never_fails_the_generation() -> None:
    """A route declared with fails_generation=False (the scorer) gives up and parks, the generation goes on."""
    from admint.core.errors import PermanentError
    from tests.support import builders

    async def broken(event: StageProgress) -> list:
        raise PermanentError("cannot score this video")

    async def crashing(event: StageProgress) -> list:
        raise RuntimeError("decoder crashed")

    store = FakeGenerationStore()
    await store.create(builders.generation("G1", status="chunking"))
    published = Published()
    worker = Worker("scorer", store, published)
    event = StageProgress(generation_id="G1", producer="t", stage="chunking", done=0, total=1)
    spec = ConsumerSpec("scorer", "scorer-x", "stage.progress.v1", max_deliver=2)
    gave_up = FakeDelivery(event.subject)
    assert await worker.deliver(Subscription(spec, StageProgress, broken, None, False, False), gave_up,
                                event) == "given_up"
    parked = FakeDelivery(event.subject, deliveries=2)
    assert await worker.deliver(Subscription(spec, StageProgress, crashing, None, False, False), parked,
                                event) == "dead_lettered"
    assert gave_up.log == ["ack"] and parked.log == ["ack"]
    assert [e.type for e in published.events] == ["message.deadlettered.v1"]  # and no generation.failed
    assert await store.status("G1") == "chunking"
    # the same failure on a pipeline route fails the generation
    assert await worker.deliver(Subscription(spec, StageProgress, broken, "chunking"), FakeDelivery(event.subject),
                                event) == "failed"
    assert await store.status("G1") == "failed"
