"""Delivery semantics of the shared worker on real NATS + Mongo-wire + S3: retry, fail, park, skip, drain."""

import asyncio
import contextlib
import json
from collections import Counter

import pytest

from admint.contracts.generation import StageProgress
from admint.contracts.registry import parse_event
from admint.core.errors import PermanentError, TransientError
from admint.core.events import follow
from admint.core.service import Infra, serve
from admint.core.settings import CoreSettings
from admint.core.topology import ConsumerSpec
from admint.core.worker import Subscription

pytestmark = pytest.mark.integration


async def _collect(js, gid: str, until: set[str], timeout: float = 20.0) -> list:
    """Read gen.<gid>.> from the start until every type in `until` has been seen."""
    sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
    seen = []
    try:
        async with asyncio.timeout(timeout):
            while not until <= {e.type for e in seen}:
                msg = await sub.next_msg(timeout=timeout)
                with contextlib.suppress(Exception):
                    seen.append(parse_event(msg.data))
    finally:
        await sub.unsubscribe()
    return seen


@pytest.fixture
async def toy_service(bootstrapped: CoreSettings, gid: str):
    """An in-process service whose handler behaves as the test's `script` says, per item."""
    calls: Counter[str] = Counter()
    script: dict[str, list[str]] = {}

    async def handler(event: StageProgress) -> list:
        if not event.generation_id.startswith(gid):
            return []
        calls[event.item] += 1
        plan = script.get(event.item, [])
        step = plan[calls[event.item] - 1] if calls[event.item] <= len(plan) else "ok"
        if step == "transient":
            raise TransientError("provider busy")
        if step == "permanent":
            raise PermanentError("the model refused this beat", detail="HTTP 422")
        if step == "crash":
            raise ValueError("handler bug")
        if step == "slow":
            await asyncio.sleep(2.0)
        return [
            follow(event, StageProgress, "toy", stage="exporting", done=1, total=1, item=f"out-{event.item}")
        ]

    spec = ConsumerSpec("toy", f"toy-{gid.lower()}", "stage.progress.v1", max_deliver=3, ack_wait_s=5)
    settings = bootstrapped.model_copy(
        update={"service_name": "toy", "retry_base_s": 0.05, "retry_cap_s": 0.2, "shutdown_grace_s": 10.0}
    )

    def build(infra: Infra) -> list[Subscription]:
        return [Subscription(spec, StageProgress, handler, stage="storyboard")]

    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, build, stop))
    yield calls, script
    stop.set()
    await asyncio.wait_for(task, 30)


async def _publish(js, gid: str, item: str) -> None:
    event = StageProgress(generation_id=gid, producer="test", stage="storyboard", done=0, total=1, item=item)
    await js.publish(
        event.subject,
        event.model_dump_json().encode(),
        stream="ADMINT",
        headers={"Nats-Msg-Id": event.msg_id},
    )


async def test_transient_errors_are_retried_then_succeed(toy_service, js, docs, gid: str) -> None:
    calls, script = toy_service
    await docs.create(gid, {"owner": "t"})
    script["a"] = ["transient"] * 4  # more than max_deliver=3: transient errors are not poison
    await _publish(js, gid, "a")
    events = await _wait_for_item(js, gid, "out-a")
    assert calls["a"] == 5
    assert [e.item for e in events if e.producer == "toy"] == ["out-a"]
    assert await docs.status(gid) == "queued"


async def _wait_for_item(js, gid: str, item: str, timeout: float = 20.0) -> list:
    sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
    seen = []
    try:
        async with asyncio.timeout(timeout):
            while item not in [getattr(e, "item", None) for e in seen]:
                seen.append(parse_event((await sub.next_msg(timeout=timeout)).data))
    finally:
        await sub.unsubscribe()
    return seen


async def test_permanent_error_fails_the_generation_with_reason(toy_service, js, docs, gid: str) -> None:
    calls, script = toy_service
    await docs.create(gid, {"owner": "t"})
    script["p"] = ["permanent"]
    await _publish(js, gid, "p")
    events = await _collect(js, gid, {"generation.failed.v1"})
    failed = next(e for e in events if e.type == "generation.failed.v1")
    assert failed.reason == "the model refused this beat" and failed.stage == "storyboard"
    assert calls["p"] == 1
    doc = await docs.get(gid)
    assert doc["status"] == "failed" and doc["error"]["detail"] == "HTTP 422"


async def test_poison_messages_are_parked_and_the_consumer_keeps_working(
    toy_service, js, docs, gid: str
) -> None:
    calls, script = toy_service
    await docs.create(gid, {"owner": "t"})
    await js.publish(f"gen.{gid}.stage.progress.v1", b"{not json", stream="ADMINT")
    script["c"] = ["crash", "crash", "crash", "crash"]
    await _publish(js, gid, "c")
    events = await _collect(js, gid, {"message.deadlettered.v1", "generation.failed.v1"})
    parked = [e for e in events if e.type == "message.deadlettered.v1"]
    assert parked and "undecodable" in parked[0].error
    assert (await docs.get(gid))["status"] == "failed"
    # the generation is failed now: its crashing message is skipped, and other generations still flow
    other = gid + "X"
    await docs.create(other, {"owner": "t"})
    await _publish(js, other, "fine")
    assert "out-fine" in [getattr(e, "item", None) for e in await _wait_for_item(js, other, "out-fine")]
    assert calls["c"] <= 3


async def test_events_of_terminal_generations_are_skipped(toy_service, js, docs, gid: str) -> None:
    calls, _ = toy_service
    await docs.create(gid, {"owner": "t"})
    assert await docs.advance(gid, "cancelled")
    await _publish(js, gid, "late")
    await asyncio.sleep(1.5)
    assert calls["late"] == 0


def test_json_logs_carry_generation_id(capsys) -> None:
    import logging

    from admint.core.logging import generation_id_var, setup_logging

    setup_logging("toy", "INFO", "json")
    token = generation_id_var.set("G42")
    logging.getLogger("admint.test").info("hello", extra={"beat": 3})
    generation_id_var.reset(token)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["generation_id"] == "G42" and line["beat"] == 3 and line["service"] == "toy"


async def test_watchdog_fails_generations_stuck_past_their_stage_budget(
    docs, nc, js, bootstrapped, gid
) -> None:
    from admint.core.bus import EventPublisher, make_broker
    from admint.core.watchdog import sweep_once

    await docs.create(gid, {"owner": "t"})
    assert await docs.advance(gid, "stitching")
    broker = make_broker(bootstrapped)
    await broker.connect()
    try:
        publisher = EventPublisher(broker, bootstrapped)
        assert gid not in await sweep_once(docs, publisher, "stitcher", {"stitching": 3600}, ["stitching"])
        await asyncio.sleep(1.1)
        assert gid in await sweep_once(docs, publisher, "stitcher", {"stitching": 1}, ["stitching"])
        assert gid not in await sweep_once(docs, publisher, "stitcher", {"stitching": 1}, ["stitching"])
    finally:
        await broker.stop()
    doc = await docs.get(gid)
    assert doc["status"] == "failed" and "budget of 1s" in doc["error"]["reason"]
    failed = [
        e for e in await _collect(js, gid, {"generation.failed.v1"}) if e.type == "generation.failed.v1"
    ]
    assert failed[0].stage == "stitching" and failed[0].retryable
