"""Delivery semantics of the shared worker on real NATS + Mongo-wire + S3: retry, fail, park, skip, drain."""

import asyncio
import contextlib
import json
from collections import Counter

import pytest

from admint.contracts.generation import StageProgress
from admint.core.errors import PermanentError, TransientError
from admint.core.events import follow
from admint.core.service import ServiceSpec, serve
from admint.core.settings import CoreSettings
from admint.core.topology import ConsumerSpec
from tests.support import builders
from tests.support.streams import read_events

pytestmark = pytest.mark.integration


async def _collect(js, gid: str, until: set[str], timeout: float = 20.0) -> list:
    """Every event of the generation until each type in `until` has been seen."""
    return await read_events(js, gid, lambda seen: until <= {e.type for e in seen}, timeout)


@pytest.fixture
async def toy_service(bootstrapped: CoreSettings, gid: str):
    """An in-process service whose handler behaves as the test's `script` says, per item."""
    calls: Counter[str] = Counter()
    script: dict[str, list[str]] = {}

    async def handler(event: StageProgress, ports: object) -> list:
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

    toy = ServiceSpec(name="toy", settings=CoreSettings, routes={StageProgress: handler},
                      ports=lambda settings, infra: None, consumers=(spec,), stage="storyboard")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(toy, settings, stop))
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
    await docs.create(builders.generation(gid, owner="t"))
    script["a"] = ["transient"] * 4  # more than max_deliver=3: transient errors are not poison
    await _publish(js, gid, "a")
    events = await _wait_for_item(js, gid, "out-a")
    assert calls["a"] == 5
    assert [e.item for e in events if e.producer == "toy"] == ["out-a"]
    assert await docs.status(gid) == "queued"


async def _wait_for_item(js, gid: str, item: str, timeout: float = 20.0) -> list:
    return await read_events(js, gid, lambda seen: item in [getattr(e, "item", None) for e in seen], timeout)


async def test_permanent_error_fails_the_generation_with_reason(toy_service, js, docs, gid: str) -> None:
    calls, script = toy_service
    await docs.create(builders.generation(gid, owner="t"))
    script["p"] = ["permanent"]
    await _publish(js, gid, "p")
    events = await _collect(js, gid, {"generation.failed.v1"})
    failed = next(e for e in events if e.type == "generation.failed.v1")
    assert failed.reason == "the model refused this beat" and failed.stage == "storyboard"
    assert calls["p"] == 1
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "failed" and doc.error is not None and doc.error.detail == "HTTP 422"


async def test_poison_messages_are_parked_and_the_consumer_keeps_working(
    toy_service, js, docs, gid: str
) -> None:
    calls, script = toy_service
    await docs.create(builders.generation(gid, owner="t"))
    await js.publish(f"gen.{gid}.stage.progress.v1", b"{not json", stream="ADMINT")
    script["c"] = ["crash", "crash", "crash", "crash"]
    await _publish(js, gid, "c")
    events = await _collect(js, gid, {"message.deadlettered.v1", "generation.failed.v1"})
    parked = [e for e in events if e.type == "message.deadlettered.v1"]
    assert parked and "undecodable" in parked[0].error
    assert await docs.status(gid) == "failed"
    # the generation is failed now: its crashing message is skipped, and other generations still flow
    other = gid + "X"
    await docs.create(builders.generation(other, owner="t"))
    await _publish(js, other, "fine")
    assert "out-fine" in [getattr(e, "item", None) for e in await _wait_for_item(js, other, "out-fine")]
    assert calls["c"] <= 3


async def test_events_of_terminal_generations_are_skipped(toy_service, js, docs, gid: str) -> None:
    calls, _ = toy_service
    await docs.create(builders.generation(gid, owner="t"))
    assert await docs.enter(gid, "cancelled")
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

    await docs.create(builders.generation(gid, owner="t"))
    assert await docs.enter(gid, "stitching")
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
    assert doc is not None and doc.status == "failed" and doc.error is not None
    assert "budget of 1s" in doc.error.reason
    failed = [
        e for e in await _collect(js, gid, {"generation.failed.v1"}) if e.type == "generation.failed.v1"
    ]
    assert failed[0].stage == "stitching" and failed[0].retryable


async def test_the_cancel_broadcast_never_answers_a_jetstream_publish(toy_service, nc, js, gid: str) -> None:
    """A JetStream publish is a request; every answer it gets must be the stream's PubAck (issue 17: workers'
    core-NATS cancellation subscriber answered it with an empty reply, and cancel answered 500)."""
    from admint.contracts.generation import GenerationCancelled

    async with asyncio.timeout(30):  # the service is up once its durable consumer exists
        while True:
            with contextlib.suppress(Exception):
                await js.consumer_info("ADMINT", f"toy-{gid.lower()}")
                break
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)

    replies: list[bytes] = []
    inbox = nc.new_inbox()

    async def collect(msg) -> None:  # type: ignore[no-untyped-def]
        replies.append(msg.data)

    sub = await nc.subscribe(inbox, cb=collect)
    event = GenerationCancelled(generation_id=gid, producer="test")
    for i in range(5):
        await nc.publish(event.subject, event.model_dump_json().encode(), reply=inbox,
                         headers={"Nats-Msg-Id": f"{gid}-cancel-{i}"})
    await asyncio.sleep(1.0)
    await sub.unsubscribe()
    assert len(replies) == 5
    assert all(json.loads(r).get("stream") == "ADMINT" for r in replies)
