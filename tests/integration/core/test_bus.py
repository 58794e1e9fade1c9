"""The bus against a real NATS JetStream server: stream bootstrap, de-duplication, durable redelivery."""

import asyncio

import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StorageType

from admint.contracts.generation import StageProgress
from admint.core.bus import EventPublisher, ensure_stream, make_broker
from admint.core.settings import CoreSettings

pytestmark = pytest.mark.integration


async def test_stream_creation_is_idempotent(js, bootstrapped: CoreSettings) -> None:
    assert await ensure_stream(js, bootstrapped) == "unchanged"
    assert await ensure_stream(js, bootstrapped) == "unchanged"
    info = await js.stream_info(bootstrapped.stream_name)
    assert info.config.subjects == ["gen.>"]
    assert info.config.duplicate_window >= 120
    assert info.config.max_age == pytest.approx(7 * 24 * 3600)
    assert StorageType(info.config.storage) is StorageType.FILE


async def test_starting_a_service_or_gateway_broker_leaves_the_stream_config_alone(
        js, bootstrapped: CoreSettings) -> None:
    """FastStream declares a stream it is given by name when its broker starts, with its own defaults: it used to
    set the stream's retention to forever and its de-duplication window to 120 s at every gateway start."""
    from admint.core.service import ServiceSpec, wire
    from admint.gateway.events import declare_publishers

    toy = ServiceSpec(name="toy", settings=CoreSettings, routes={}, ports=lambda settings, infra: None,
                      consumers=(), stage="storyboard", produces=(StageProgress,))
    gateway = make_broker(bootstrapped)
    declare_publishers(gateway, bootstrapped)
    for broker in (wire(toy, bootstrapped).broker, gateway):
        await broker.start()
        try:
            assert await ensure_stream(js, bootstrapped) == "unchanged"
        finally:
            await broker.stop()
    config = (await js.stream_info(bootstrapped.stream_name)).config
    assert config.max_age == pytest.approx(bootstrapped.stream_max_age_s)
    assert config.duplicate_window == pytest.approx(bootstrapped.stream_duplicate_window_s)


async def test_stream_config_drift_is_repaired(js, bootstrapped: CoreSettings) -> None:
    drifted = bootstrapped.model_copy(update={"stream_duplicate_window_s": 600})
    assert await ensure_stream(js, drifted) == "updated"
    assert (await js.stream_info(bootstrapped.stream_name)).config.duplicate_window == 600
    assert await ensure_stream(js, bootstrapped) == "updated"


async def test_duplicate_msg_id_is_dropped(js, bootstrapped: CoreSettings, gid: str) -> None:
    broker = make_broker(bootstrapped)
    await broker.connect()
    try:
        publisher = EventPublisher(broker, bootstrapped)
        event = StageProgress(
            generation_id=gid, producer="test", stage="storyboard", done=1, total=3, item="0"
        )
        again = StageProgress(
            generation_id=gid, producer="test", stage="storyboard", done=1, total=3, item="0"
        )
        assert event.id != again.id and event.msg_id == again.msg_id
        assert await publisher.publish(event) is True
        assert await publisher.publish(again) is False
        sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
        first = await sub.next_msg(timeout=5)
        assert first.headers["Nats-Msg-Id"] == event.msg_id
        with pytest.raises(asyncio.TimeoutError):
            await sub.next_msg(timeout=0.5)
        await sub.unsubscribe()
    finally:
        await broker.stop()


async def test_durable_pull_consumer_redelivers_unacked_after_restart(js, nc, gid: str) -> None:
    durable = f"redeliver-{gid.lower()}"
    subject = f"gen.{gid}.stage.progress.v1"
    config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0)
    first = await js.pull_subscribe(subject, durable=durable, stream="ADMINT", config=config)
    await js.publish(subject, b'{"probe": 1}', stream="ADMINT")
    [msg] = await first.fetch(1, timeout=5)
    assert msg.metadata.num_delivered == 1
    await first.unsubscribe()  # the consumer process "dies" without acking
    second = await js.pull_subscribe(subject, durable=durable, stream="ADMINT")
    [again] = await second.fetch(1, timeout=10)
    assert again.data == b'{"probe": 1}'
    assert again.metadata.num_delivered == 2
    await again.ack()
    await js.delete_consumer("ADMINT", durable)
