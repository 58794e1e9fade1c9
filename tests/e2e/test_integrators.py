"""What an integrator sees, on the whole system as processes with the offline models priced (a registry file):
the estimate against the recorded cost, a signed webhook when the ad is done, max_cost_usd stopping a run, the
cost counter, usage, and deletion leaving nothing behind."""

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.settings import CoreSettings
from admint.devstack.processes import DevStack
from tests.support.pricing import priced_registry
from tests.support.receiver import Receiver

pytestmark = pytest.mark.e2e
API_KEY = "e2e-int-" + os.urandom(6).hex()
TERMINAL = {"completed", "failed", "cancelled"}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    data = tmp_path_factory.mktemp("integrators")
    stack = DevStack(data, env={
        "ADMINT_RENDER_LONG_SIDE": "240", "ADMINT_DEV_API_KEY": API_KEY, "ADMINT_ENVIRONMENT": "test",
        "ADMINT_MODEL_REGISTRY": str(priced_registry(data)), "ADMINT_WEBHOOK_ALLOW_PRIVATE": "true",
        "ADMINT_WEBHOOK_RETRY_SCHEDULE_S": "[0.5, 1, 2]", "ADMINT_MAX_ACTIVE_GENERATIONS": "10",
        "ADMINT_SSE_KEEPALIVE_S": "1",
    })
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
async def api(system: DevStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=system.api_url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=30) as client:
        yield client


async def finished(api: httpx.AsyncClient, gid: str, timeout_s: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view: dict[str, Any] = (await api.get(f"/v1/generations/{gid}")).json()
        if view["status"] in TERMINAL:
            return view
        await asyncio.sleep(0.5)
    raise AssertionError(f"{gid} did not finish in {timeout_s}s")


def metric(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


async def test_estimate_webhook_usage_and_deletion_on_the_offline_path(system: DevStack,
                                                                       api: httpx.AsyncClient) -> None:
    receiver = await Receiver().start()
    try:
        secret = (await api.post("/v1/webhooks/request/rotate-secret")).json()["secret"]
        body = {"brief": "15-second ad for an eco-friendly water bottle, calm, premium", "duration_s": 15,
                "seed": 3}
        estimate = (await api.post("/v1/generations/estimate", json=body)).json()
        created = await api.post("/v1/generations", json={**body, "webhook_url": receiver.url,
                                                          "max_cost_usd": round(estimate["total_usd"] + 0.01, 4)})
        assert created.status_code == 202, created.text
        gid = created.json()["id"]
        view = await finished(api, gid)
        assert view["status"] == "completed", view["error"]

        recorded = view["costs"]["total_usd"]
        print(f"\noffline path: estimated {estimate['total_usd']:.4f} USD, recorded {recorded:.4f} USD")
        assert recorded > 2.0  # 25 s of priced offline video, 3 frames, a track
        assert abs(estimate["total_usd"] - recorded) <= 0.10 * recorded
        assert view["costs"]["projected_usd"] == pytest.approx(recorded)
        assert view["costs"]["estimated_usd"] == pytest.approx(estimate["total_usd"])
        assert {s["stage"] for s in view["costs"]["by_stage"]} == {"planning", "storyboard", "chunking", "stitching"}
        estimated_chunking = next(i for i in estimate["items"] if i["stage"] == "chunking")
        assert estimated_chunking["calls"] == sum(1 for e in view["costs"]["entries"] if e["stage"] == "chunking")

        (message,) = await receiver.wait_for(1, timeout_s=30)
        signed = Webhook(secret).verify(message.body, message.headers)
        assert signed["type"] == "generation.completed" and signed["data"]["generation_id"] == gid
        assert signed["data"]["event"]["total_cost_usd"] == pytest.approx(recorded)

        spent = metric(system.services["chunker-0"].metrics(),
                       'admint_cost_usd_total{model="offline-video",stage="chunking"}')
        assert spent >= 2.5
        usage = (await api.get("/v1/usage")).json()["totals"]
        assert usage["by_outcome"].get("completed", 0) >= 1 and usage["video_seconds"] >= 15
        assert usage["cost_by_model"]["offline-video"] >= 2.5

        settings = CoreSettings(nats_url=system.env["ADMINT_NATS_URL"], mongo_url=system.env["ADMINT_MONGO_URL"],
                                s3_endpoint=system.env["ADMINT_S3_ENDPOINT"])
        blobs = BlobStore.from_settings(settings)
        stored = await blobs.list_keys(keys.generation_prefix(gid))
        assert keys.master_key(gid) in stored
        deleted = await api.delete(f"/v1/generations/{gid}")
        assert deleted.status_code == 200 and deleted.json()["objects_deleted"] == len(stored)
        assert await blobs.list_keys(keys.generation_prefix(gid)) == []
        assert (await api.get(f"/v1/generations/{gid}")).status_code == 410
        assert (await api.get(f"/v1/generations/{gid}/events")).status_code == 410
        deleted_message = (await receiver.wait_for(2, timeout_s=30))[1]
        assert json.loads(deleted_message.body)["type"] == "generation.deleted"
    finally:
        await receiver.stop()


async def test_max_cost_usd_stops_a_run_whose_plan_costs_more_than_estimated(system: DevStack,
                                                                              api: httpx.AsyncClient) -> None:
    # the offline planner makes four 5 s beats of this brief; the estimate assumes the typical three
    body = {"brief": "20-second ad for a reusable coffee cup, bright and playful", "duration_s": 20, "seed": 1}
    estimate = (await api.post("/v1/generations/estimate", json=body)).json()
    assert estimate["beats"] == 3 and estimate["high_usd"] > estimate["total_usd"]
    limit = estimate["total_usd"]
    created = await api.post("/v1/generations", json={**body, "max_cost_usd": limit})
    assert created.status_code == 202, created.text
    view = await finished(api, created.json()["id"])
    assert len(view["plan"]["beats"]) == 4  # the precondition: a bigger plan than estimated
    assert view["costs"]["projected_usd"] > limit
    assert view["status"] == "failed", view
    assert view["error"]["stage"] == "chunking" and "max_cost_usd" in view["error"]["reason"]
    chunks = [e for e in view["costs"]["entries"] if e["stage"] == "chunking"]
    print(f"\nstopped at {view['costs']['total_usd']:.4f} USD of a {limit:.4f} USD limit "
          f"({len(chunks)} of 7 chunks): {view['error']['reason']}")
    assert len(chunks) < 7
    per_chunk = 0.5  # 5 s of offline video at 0.10 USD a second
    in_flight = 2  # slack for calls under way when the limit was reached (each is reserved first: none passes it)
    assert view["costs"]["total_usd"] <= limit + in_flight * per_chunk + 1e-6


def test_refused_up_front_when_the_estimate_is_over(system: DevStack, tmp_path: Path) -> None:
    with httpx.Client(base_url=system.api_url, headers={"Authorization": f"Bearer {API_KEY}"}) as api:
        refused = api.post("/v1/generations", json={"brief": "a 60 s epic", "duration_s": 60, "max_cost_usd": 1})
    assert refused.status_code == 422 and refused.json()["estimate"]["total_usd"] > 1
