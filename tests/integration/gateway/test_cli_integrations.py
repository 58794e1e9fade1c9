"""`admint webhooks …`, `admint estimate`, `admint usage`, `admint delete` against the real gateway."""

import asyncio
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from admint.cli.app import app
from admint.core import keys
from admint.core.blobstore import BlobStore
from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration


async def run(gateway: RunningGateway, key: str, *args: str) -> Any:
    env = {"ADMINT_API_URL": gateway.url, "ADMINT_API_KEY": key}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def test_webhook_commands(gateway: RunningGateway, key: str) -> None:
    refused = await run(gateway, key, "webhooks", "create", "http://10.0.0.7/hook")
    assert refused.exit_code == 3 and "public addresses" in refused.stderr

    created = await run(gateway, key, "webhooks", "create", "https://93.184.216.34/hooks", "--event",
                        "generation.completed", "--description", "render farm", "--json")
    assert created.exit_code == 0, created.output
    endpoint = json.loads(created.stdout)
    assert endpoint["secret"].startswith("whsec_") and endpoint["event_types"] == ["generation.completed"]

    listed = await run(gateway, key, "webhooks", "list")
    assert endpoint["id"] in listed.stdout and "generation.completed" in listed.stdout and "enabled" in listed.stdout
    disabled = await run(gateway, key, "webhooks", "update", endpoint["id"], "--disable", "--json")
    assert disabled.exit_code == 0 and json.loads(disabled.stdout)["enabled"] is False
    rotated = await run(gateway, key, "webhooks", "rotate", endpoint["id"], "--overlap", "60")
    assert rotated.exit_code == 0 and rotated.stdout.strip().startswith("whsec_")
    assert rotated.stdout.strip() != endpoint["secret"] and "signs too until" in rotated.stderr
    shown = await run(gateway, key, "webhooks", "show", endpoint["id"])
    assert "DISABLED" in shown.stdout and "(current)" in shown.stdout and "signs until" in shown.stdout
    deliveries = await run(gateway, key, "webhooks", "deliveries", endpoint["id"], "--json")
    assert deliveries.exit_code == 0 and json.loads(deliveries.stdout)["items"] == []
    request_secret = await run(gateway, key, "webhooks", "rotate", "request")
    assert request_secret.exit_code == 0 and request_secret.stdout.startswith("whsec_")
    deleted = await run(gateway, key, "webhooks", "delete", endpoint["id"])
    assert deleted.exit_code == 0
    assert (await run(gateway, key, "webhooks", "show", endpoint["id"])).exit_code == 3


async def test_estimate_usage_and_delete(gateway: RunningGateway, key: str, blobs: BlobStore) -> None:
    estimate = await run(gateway, key, "estimate", "A 15 second ad for a steel bottle", "-d", "15", "--json")
    assert estimate.exit_code == 0, estimate.output
    found = json.loads(estimate.stdout)
    assert found["beats"] == 3 and {i["stage"] for i in found["items"]} == {"planning", "storyboard", "chunking",
                                                                            "stitching"}
    table = await run(gateway, key, "estimate", "A 15 second ad", "-d", "15")
    assert "offline-video" in table.stdout and "3 beats, 5 chunks" in table.stdout

    async with gateway.client(key) as api:
        gid = (await api.post("/v1/generations", json={"brief": "to delete", "duration_s": 15})).json()["id"]
    await blobs.put_bytes(keys.master_key(gid), b"video", "video/mp4")
    usage = await run(gateway, key, "usage", "--json")
    assert usage.exit_code == 0 and json.loads(usage.stdout)["totals"]["generations"] == 1
    assert "1 generations" in (await run(gateway, key, "usage")).stdout

    running = await run(gateway, key, "delete", gid, "--yes")
    assert running.exit_code == 3 and "cancel=true" in running.stderr
    deleted = await run(gateway, key, "delete", gid, "--yes", "--cancel")
    assert deleted.exit_code == 0, deleted.output
    assert "1 files, cancelled first" in deleted.stdout
    assert await blobs.list_keys(keys.generation_prefix(gid)) == []
    status = await run(gateway, key, "status", gid)
    assert status.exit_code == 3 and "deleted" in status.stderr
