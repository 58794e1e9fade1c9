"""A real gateway (uvicorn, in this event loop) on the session's real NATS/S3/Mongo-wire stack, and API keys."""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from admint.contracts.stages import PIPELINE
from admint.core.settings import CoreSettings
from admint.gateway.app import create_app
from admint.gateway.config import GatewaySettings
from admint.gateway.state import Gateway
from tests.support.stack import TestStack

ADMIN_TOKEN = "test-admin-token"


@dataclass
class RunningGateway:
    url: str
    app: Any
    settings: GatewaySettings

    @property
    def state(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30, **kwargs)

    async def new_key(self, owner: str | None = None, **limits: Any) -> str:
        owner = owner or f"owner-{uuid.uuid4().hex[:10]}"
        async with self.client(ADMIN_TOKEN) as admin:
            response = await admin.post("/v1/admin/keys", json={"owner": owner, "name": "test", **limits})
        assert response.status_code == 201, response.text
        return str(response.json()["api_key"])


def gateway_settings(stack: TestStack, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "environment": "test", "render_long_side": 320, "sse_keepalive_s": 0.3, "sse_retry_ms": 100,
        "admin_token": ADMIN_TOKEN, "rate_limit_per_minute": 10_000, "max_streams_per_key": 1000,
        "stream_connects_per_minute": 100_000, **stack.settings_kwargs(), **overrides,
    }
    return GatewaySettings(_env_file=None, **values)  # type: ignore[call-arg]


async def serve(settings: GatewaySettings) -> tuple[RunningGateway, uvicorn.Server, asyncio.Task[None]]:
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(600):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    if task.done():
        task.result()
    assert server.started, "gateway did not start"
    return RunningGateway(f"http://127.0.0.1:{port}", app, settings), server, task


@pytest.fixture(scope="module")
async def gateway(stack: TestStack, bootstrapped: CoreSettings) -> AsyncIterator[RunningGateway]:
    running, server, task = await serve(gateway_settings(stack))
    try:
        yield running
    finally:
        # leave no queued work behind for pipeline services other tests may start on this stack
        await running.state.docs.collection.update_many(
            {"status": {"$in": list(PIPELINE.active)}, "request.key_id": {"$exists": True}},
            {"$set": {"status": "cancelled"}},
        )
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


@pytest.fixture
async def key(gateway: RunningGateway) -> str:
    return await gateway.new_key()


@pytest.fixture
async def other_key(gateway: RunningGateway) -> str:
    return await gateway.new_key()
