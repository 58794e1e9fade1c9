"""The notifier as a real process on the session's stack, a gateway in this loop, and events to send."""

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from admint.contracts.envelope import Event, utcnow
from admint.contracts.generation import GenerationSpec
from admint.contracts.ids import new_id
from admint.core.bus import EventPublisher, make_broker
from admint.core.docstore import GenerationRepository
from admint.core.document import GenerationDoc, RequestRecord
from admint.core.settings import CoreSettings
from admint.devstack.processes import ServiceProcess
from tests.integration.gateway.conftest import RunningGateway, gateway_settings, serve
from tests.support.stack import TestStack

NOTIFIER_ENV = {
    "ADMINT_ENVIRONMENT": "test", "ADMINT_WEBHOOK_ALLOW_PRIVATE": "true",
    "ADMINT_WEBHOOK_RETRY_SCHEDULE_S": json.dumps([0.6, 1.8, 3.0, 3.0, 3.0]), "ADMINT_WEBHOOK_RETRY_JITTER": "0.2",
    "ADMINT_WEBHOOK_LEASE_S": "4", "ADMINT_WEBHOOK_POLL_S": "0.2", "ADMINT_WEBHOOK_TIMEOUT_S": "3",
    "ADMINT_LOG_FORMAT": "text", "ADMINT_WATCHDOG_INTERVAL_S": "3600",
}


@pytest.fixture(scope="module")
async def gateway(stack: TestStack, bootstrapped: CoreSettings) -> AsyncIterator[RunningGateway]:
    running, server, task = await serve(gateway_settings(stack, webhook_allow_private=True))
    try:
        yield running
    finally:
        server.should_exit = True
        await task


def notifier_process(stack: TestStack, log_dir: Path, **env: str) -> ServiceProcess:
    return ServiceProcess("admint.notifier", {**stack.env, **NOTIFIER_ENV, **env}, log_dir, name="notifier")


@pytest.fixture(scope="module")
def notifier(stack: TestStack, bootstrapped: CoreSettings,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    process = notifier_process(stack, tmp_path_factory.mktemp("notifier-logs")).start()
    try:
        yield process
    finally:
        process.terminate(timeout_s=20)


@pytest.fixture
async def publisher(bootstrapped: CoreSettings) -> AsyncIterator[EventPublisher]:
    broker = make_broker(bootstrapped)
    await broker.connect()
    try:
        yield EventPublisher(broker, bootstrapped)
    finally:
        await broker.stop()


async def owner_of(gateway: RunningGateway, key: str) -> str:
    async with gateway.client(key) as api:
        return str((await api.get("/v1/me")).json()["owner"])


async def new_generation(docs: GenerationRepository, owner: str, *, status: str = "exporting",
                         webhook_url: str | None = None) -> str:
    stamp = utcnow()
    gid = new_id()
    spec = GenerationSpec(brief="a webhook test", duration_s=15, size={"width": 180, "height": 320})
    await docs.create(GenerationDoc(_id=gid, owner=owner, status=status, created_at=stamp, updated_at=stamp,
                                    spec=spec, request=RequestRecord(webhook_url=webhook_url)))
    return gid


async def create_endpoint(api: httpx.AsyncClient, url: str, **extra: Any) -> dict[str, Any]:
    response = await api.post("/v1/webhooks", json={"url": url, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["secret"].startswith("whsec_")
    return body


async def publish(publisher: EventPublisher, event: Event) -> None:
    assert await publisher.publish(event)


@pytest.fixture
async def key(gateway: RunningGateway) -> str:
    return await gateway.new_key()
