"""The workers' pull consumer (core.consumer.PullConsumer) on a real NATS JetStream: it pulls only when a handler
is free, replicas share one durable, invalid events are parked, a deleted durable comes back, and it stops pulling
when told to."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from nats.js.api import DeliverPolicy

from admint.contracts.generation import StageProgress
from admint.core.consumer import JetStreamDelivery, PullConsumer
from admint.core.topology import ConsumerSpec
from admint.core.worker import Subscription

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class OneGeneration(ConsumerSpec):
    """A consumer of one generation's events only (tests share the stream)."""

    generation_id: str = ""

    @property
    def filter_subject(self) -> str:
        return f"gen.{self.generation_id}.{self.event_type}"


class Recorder:
    """Our worker port, faked: records what the consumer hands over; a handler holds until `release` is set."""

    service = "toy"

    def __init__(self, name: str) -> None:
        self.name = name
        self.started: asyncio.Queue[tuple[str, StageProgress, JetStreamDelivery]] = asyncio.Queue()
        self.parked: list[str] = []
        self.release = asyncio.Event()

    async def deliver(self, sub: Subscription, msg: JetStreamDelivery, event: StageProgress) -> str:
        await self.started.put((self.name, event, msg))
        await self.release.wait()
        await msg.ack()
        return "ok"

    async def park_undecodable(self, sub: Subscription, msg: JetStreamDelivery, error: str) -> str:
        self.parked.append(error)
        await msg.ack()
        return "dead_lettered"


def _subscription(gid: str) -> Subscription:
    spec = OneGeneration("toy", f"consumer-{gid.lower()}", "stage.progress.v1", ack_wait_s=30, generation_id=gid)

    async def unused(event: StageProgress) -> list:  # the Recorder stands in for the worker that would call it
        raise AssertionError("not called")

    return Subscription(spec, StageProgress, unused, stage=None)


async def _publish(js, gid: str, item: str) -> None:  # type: ignore[no-untyped-def]
    event = StageProgress(generation_id=gid, producer="test", stage="storyboard", done=0, total=1, item=item)
    await js.publish(event.subject, event.model_dump_json().encode(), stream="ADMINT",
                     headers={"Nats-Msg-Id": event.msg_id})


async def _started(worker: Recorder, timeout: float = 10.0) -> tuple[str, StageProgress, JetStreamDelivery]:
    return await asyncio.wait_for(worker.started.get(), timeout)


async def _consumer(js, sub: Subscription, worker: Recorder, max_inflight: int = 1,  # type: ignore[no-untyped-def]
                    fetch_wait_s: float = 1.0) -> PullConsumer:
    consumer = PullConsumer(js, "ADMINT", sub, worker, max_inflight, fetch_wait_s=fetch_wait_s)  # type: ignore[arg-type]
    await consumer.subscribe()
    consumer.start()
    return consumer


@contextlib.asynccontextmanager
async def _reading(js, gid: str, **options: float) -> AsyncIterator[tuple[Subscription, Recorder, PullConsumer]]:  # type: ignore[no-untyped-def]
    """A consumer of this generation's events with a Recorder whose handlers return at once; stopped and its
    durable deleted afterwards."""
    sub = _subscription(gid)
    worker = Recorder("only")
    worker.release.set()
    consumer = await _consumer(js, sub, worker, **options)  # type: ignore[arg-type]
    try:
        yield sub, worker, consumer
    finally:
        await consumer.stop(grace_s=5)
        await js.delete_consumer("ADMINT", sub.consumer.durable)


async def test_a_busy_consumer_leaves_the_next_message_to_a_free_replica(js, gid: str) -> None:
    sub = _subscription(gid)
    first_worker, second_worker = Recorder("first"), Recorder("second")
    first = await _consumer(js, sub, first_worker)
    try:
        await _publish(js, gid, "a")
        await _publish(js, gid, "b")
        name, event, delivery = await _started(first_worker)
        assert (name, event.item, delivery.deliveries) == ("first", "a", 1)
        assert delivery.stored_at is not None and abs(time.time() - delivery.stored_at) < 10
        await asyncio.sleep(1.5)  # longer than a pull's wait: the busy consumer must not have asked for "b"
        info = await js.consumer_info("ADMINT", sub.consumer.durable)
        assert (info.num_ack_pending, info.num_pending) == (1, 1)
        assert first_worker.started.empty()

        second = await _consumer(js, sub, second_worker)  # a replica: same durable, competing
        try:
            name, event, _ = await _started(second_worker)
            assert (name, event.item) == ("second", "b")
            first_worker.release.set()
            second_worker.release.set()
            async with asyncio.timeout(10):
                while (info := await js.consumer_info("ADMINT", sub.consumer.durable)).num_ack_pending:
                    await asyncio.sleep(0.05)
            assert info.num_pending == 0
        finally:
            await second.stop(grace_s=5)
    finally:
        await first.stop(grace_s=5)
        await js.delete_consumer("ADMINT", sub.consumer.durable)


async def test_invalid_events_are_parked_and_valid_ones_decoded_as_their_model(js, gid: str) -> None:
    async with _reading(js, gid, max_inflight=2) as (_sub, worker, _consumer):
        await js.publish(f"gen.{gid}.stage.progress.v1", b"{not json", stream="ADMINT")
        await js.publish(f"gen.{gid}.stage.progress.v1", b'{"type": "stage.progress.v1"}', stream="ADMINT")
        await _publish(js, gid, "fine")
        _, event, _ = await _started(worker)
        assert isinstance(event, StageProgress) and event.item == "fine" and event.generation_id == gid
        async with asyncio.timeout(10):
            while len(worker.parked) < 2:
                await asyncio.sleep(0.05)
        assert "json_invalid" in worker.parked[0] and "missing" in worker.parked[1]


async def test_an_idle_consumer_asks_again_quietly_and_a_stopped_one_pulls_nothing_more(
        js, gid: str, caplog: pytest.LogCaptureFixture) -> None:
    async with _reading(js, gid, fetch_wait_s=0.5) as (sub, worker, consumer):
        with caplog.at_level(logging.INFO, logger="admint.core.consumer"):
            await asyncio.sleep(1.6)  # three pulls that found nothing: not failures, no pause after them
            await _publish(js, gid, "after idle")
            _, event, _ = await _started(worker)
        assert event.item == "after idle"
        assert not [r for r in caplog.records if r.name == "admint.core.consumer"], caplog.text
        began = time.monotonic()
        await consumer.stop(grace_s=5)  # idle: it ends with the pull in progress, not at the grace period
        assert time.monotonic() - began < 2.5
        await _publish(js, gid, "late")
        await asyncio.sleep(1.5)
        info = await js.consumer_info("ADMINT", sub.consumer.durable)
        assert (info.num_pending, info.num_ack_pending) == (1, 0) and worker.started.empty()


async def test_stop_waits_for_a_free_slot_only_up_to_its_grace(js, gid: str) -> None:
    sub = _subscription(gid)
    worker = Recorder("only")  # never released: the one slot stays taken
    consumer = await _consumer(js, sub, worker)
    try:
        await _publish(js, gid, "held")
        await _started(worker)
        began = time.monotonic()
        await consumer.stop(grace_s=1.0)
        assert 0.9 < time.monotonic() - began < 3.0
        assert consumer._loop is not None and consumer._loop.done()
    finally:
        worker.release.set()
        await js.delete_consumer("ADMINT", sub.consumer.durable)


async def test_a_deleted_durable_is_created_again_from_just_before_the_last_pull(js, gid: str) -> None:
    async with _reading(js, gid, fetch_wait_s=0.5) as (sub, worker, _consumer):
        await _publish(js, gid, "before")
        assert (await _started(worker))[1].item == "before"
        await js.delete_consumer("ADMINT", sub.consumer.durable)  # by hand, or the stream was re-created
        await _publish(js, gid, "after")
        items = {(await _started(worker))[1].item for _ in range(2)}
        # what was in flight an ack wait before the last good pull comes again (at least once); nothing is lost
        assert items == {"before", "after"}
        info = await js.consumer_info("ADMINT", sub.consumer.durable)
        assert DeliverPolicy(info.config.deliver_policy) is DeliverPolicy.BY_START_TIME
