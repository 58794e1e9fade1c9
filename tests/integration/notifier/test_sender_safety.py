"""SSRF and receiver-behaviour rules with real sockets: production refuses inward addresses at registration and
again at delivery time; redirects are not followed; big bodies are cut; slow receivers time out."""

import pytest
from pydantic import ValidationError

from admint.core.settings import CoreSettings
from admint.gateway.config import GatewaySettings
from admint.notifier.config import NotifierSettings
from admint.notifier.sender import HttpSender
from tests.integration.gateway.conftest import gateway_settings, serve
from tests.support.receiver import Receiver
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


def test_production_settings_never_allow_private_addresses() -> None:
    for cls, extra in ((NotifierSettings, {}), (GatewaySettings, {"admin_token": "a-real-token"})):
        with pytest.raises(ValidationError, match="ADMINT_WEBHOOK_ALLOW_PRIVATE"):
            cls(_env_file=None, environment="production", s3_secret_key="a-real-secret", webhook_allow_private=True,
                **extra)
        assert not cls(_env_file=None, environment="production", s3_secret_key="a-real-secret",
                       **extra).webhook_allow_private


async def test_registration_refuses_private_addresses_under_production_rules(
    stack: TestStack, bootstrapped: CoreSettings,
) -> None:
    settings = gateway_settings(stack)  # webhook_allow_private off: the only rule production allows
    assert not settings.webhook_allow_private
    running, server, task = await serve(settings)
    try:
        key = await running.new_key()
        async with running.client(key) as api:
            for url in ("http://10.1.2.3/hook", "http://localhost:8080/hook", "http://169.254.169.254/latest",
                        "http://[::1]/x", "http://192.168.0.10/", "ftp://example.com/x",
                        "https://user:secret@example.com/"):
                refused = await api.post("/v1/webhooks", json={"url": url})
                assert refused.status_code == 422, (url, refused.text)
                problem = refused.json()
                assert problem["errors"][0]["pointer"] == "/url", problem
            per_request = await api.post("/v1/generations", json={"brief": "x", "webhook_url": "http://127.0.0.1:9/"})
            assert per_request.status_code == 422 and "webhook_url" in per_request.json()["detail"]
            assert (await api.get("/v1/webhooks")).json() == []
    finally:
        server.should_exit = True
        await task


async def test_delivery_time_resolution_refuses_a_name_that_now_leads_inward() -> None:
    """A name that passed registration but resolves to loopback at send time (DNS rebinding) is not called."""
    receiver = await Receiver().start()
    try:
        sender = HttpSender(timeout_s=3, max_response_bytes=1024, allow_private=False)
        outcome = await sender.send(f"http://localhost:{receiver.port}/hook", "{}", {})
        assert not outcome.ok and outcome.status_code is None
        assert outcome.error is not None and "refused" in outcome.error and "loopback" in outcome.error
        assert receiver.requests == []
        allowed = await HttpSender(3, 1024, allow_private=True).send(f"http://localhost:{receiver.port}/h", "{}", {})
        assert allowed.ok and len(receiver.requests) == 1
        assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"
    finally:
        await receiver.stop()


async def test_redirects_are_not_followed_and_bodies_are_cut() -> None:
    receiver = await Receiver(statuses=[302], extra_headers={"location": "http://169.254.169.254/"}).start()
    sender = HttpSender(timeout_s=3, max_response_bytes=100, allow_private=True)
    try:
        moved = await sender.send(receiver.url, "{}", {})
        assert not moved.ok and moved.status_code == 302
        assert moved.error is not None and "not followed" in moved.error
        assert len(receiver.requests) == 1
        receiver.body = b"x" * 100_000
        big = await sender.send(receiver.url, "{}", {})
        assert big.ok and big.response is not None and len(big.response) == 100
    finally:
        await receiver.stop()


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt() -> None:
    receiver = await Receiver(delay_s=2.0).start()
    try:
        outcome = await HttpSender(timeout_s=0.5, max_response_bytes=100, allow_private=True).send(receiver.url, "{}",
                                                                                                    {})
        assert not outcome.ok and outcome.error == "no answer within 0.5 s"
        assert 400 <= outcome.latency_ms < 1500
    finally:
        await receiver.stop()
