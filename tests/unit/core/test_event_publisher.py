"""Publishing: anything but the stream's acknowledgement is a transient error, never a crash (issue 17)."""

import json

import pytest
from nats.errors import NoRespondersError

from admint.contracts.generation import GenerationCancelled
from admint.core.bus import EventPublisher
from admint.core.errors import TransientError
from admint.core.settings import CoreSettings

pytestmark = pytest.mark.unit


class Target:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[dict[str, object]] = []

    async def publish(self, body: bytes, **kwargs: object) -> object:
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return type("Ack", (), {"duplicate": None})()


@pytest.mark.parametrize("error", [json.JSONDecodeError("Expecting value", "", 0), TimeoutError(),
                                   NoRespondersError()])
async def test_a_missing_or_malformed_ack_is_transient(error: Exception) -> None:
    publisher = EventPublisher(Target(error), CoreSettings())  # type: ignore[arg-type]
    with pytest.raises(TransientError, match="not acknowledged"):
        await publisher.publish(GenerationCancelled(generation_id="G1", producer="gateway"))


async def test_the_typed_publisher_of_the_type_is_used_with_the_dedup_id() -> None:
    broker, typed = Target(), Target()
    publisher = EventPublisher(broker, CoreSettings(), {"generation.cancelled.v1": typed})  # type: ignore[arg-type]
    event = GenerationCancelled(generation_id="G1", producer="gateway")
    assert await publisher.publish(event) is True
    assert broker.calls == [] and typed.calls[0]["subject"] == "gen.G1.generation.cancelled.v1"
    assert typed.calls[0]["headers"] == {"Nats-Msg-Id": event.msg_id, "Admint-Event-Type": event.type}
