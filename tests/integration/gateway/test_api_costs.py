"""Costs through the real API: the estimate, max_cost_usd refused up front, quotas, usage (per owner and admin).

A gateway on the session's stack with the offline models priced by a registry file (ADMINT_MODEL_REGISTRY), so
the offline deployment's estimates are real numbers.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from admint.contracts.common import CostEntry
from admint.contracts.generation import GenerationSpec
from admint.contracts.ids import new_id
from admint.core.docstore import GenerationRepository
from admint.core.document import GenerationDoc, MasterSection, RequestRecord
from admint.core.settings import CoreSettings
from tests.integration.gateway.conftest import ADMIN_TOKEN, RunningGateway, gateway_settings, serve
from tests.support.pricing import priced_registry
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration
BRIEF = {"brief": "A 15 second ad for a steel water bottle", "duration_s": 15}


@pytest.fixture(scope="module")
async def priced(stack: TestStack, bootstrapped: CoreSettings,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningGateway]:
    registry = priced_registry(tmp_path_factory.mktemp("registry"))
    running, server, task = await serve(gateway_settings(stack, model_registry=str(registry),
                                                         max_active_generations=100))
    try:
        yield running
    finally:
        server.should_exit = True
        await task


async def test_the_estimate_itemises_stages_and_models(priced: RunningGateway) -> None:
    key = await priced.new_key()
    async with priced.client(key) as api:
        response = await api.post("/v1/generations/estimate", json=BRIEF)
        assert response.status_code == 200, response.text
        body = response.json()
    items = {(i["stage"], i["model"]): i for i in body["items"]}
    assert set(items) == {("planning", "offline-planner"), ("storyboard", "offline-image"),
                          ("chunking", "offline-video"), ("stitching", "offline-music")}
    # 15 s is always three 5 s beats; each but the last is rendered 0.5 s longer, so it needs two 5 s chunks
    assert items[("storyboard", "offline-image")]["calls"] == 3 and body["beats"] == 3
    assert items[("chunking", "offline-video")]["calls"] == 5 == body["chunks"]
    assert items[("chunking", "offline-video")]["units"] == 25.0
    assert body["total_usd"] == pytest.approx(0.001 + 3 * 0.01 + 25 * 0.1 + 0.05)
    assert body["low_usd"] == body["high_usd"] == body["total_usd"] and body["currency"] == "USD"
    assert body["expected_wall_s"] > 0 and body["planned"] is False and body["within_max_cost"] is None
    async with priced.client(key) as api:
        silent = (await api.post("/v1/generations/estimate", json={**BRIEF, "music": False,
                                                                   "max_cost_usd": 1.0})).json()
        assert silent["total_usd"] == pytest.approx(body["total_usd"] - 0.05)
        assert silent["within_max_cost"] is False
        long = (await api.post("/v1/generations/estimate", json={**BRIEF, "duration_s": 30})).json()
        assert long["low_usd"] < long["total_usd"] < long["high_usd"]
        assert (await api.get("/v1/generations")).json()["items"] == []  # an estimate creates nothing


async def test_max_cost_usd_below_the_estimate_is_refused_with_the_estimate(priced: RunningGateway) -> None:
    key = await priced.new_key()
    async with priced.client(key) as api:
        refused = await api.post("/v1/generations", json={**BRIEF, "max_cost_usd": 2.0})
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["type"] == "/problems/over-max-cost" and problem["max_cost_usd"] == 2.0
        assert problem["estimate"]["total_usd"] > 2.0 and problem["estimate"]["items"]
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (await api.get("/v1/generations")).json()["items"] == []

        accepted = await api.post("/v1/generations", json={**BRIEF, "max_cost_usd": 3.0})
        assert accepted.status_code == 202, accepted.text
        view = (await api.get(f"/v1/generations/{accepted.json()['id']}")).json()
        assert view["costs"]["max_cost_usd"] == 3.0
        assert view["costs"]["estimated_usd"] == pytest.approx(problem["estimate"]["total_usd"])
        assert view["spec"]["max_cost_usd"] == 3.0


async def test_quotas_refuse_with_429_naming_the_quota(priced: RunningGateway) -> None:
    daily = await priced.new_key(generations_per_day=2)
    async with priced.client(daily) as api:
        me = (await api.get("/v1/me")).json()
        assert me["limits"]["generations_per_day"] == 2 and me["limits"]["spend_per_month_usd"] is None
        for _ in range(2):
            assert (await api.post("/v1/generations", json=BRIEF)).status_code == 202
        third = await api.post("/v1/generations", json=BRIEF)
        assert third.status_code == 429, third.text
        assert third.json()["limit"] == "generations_per_day" and third.json()["quota"] == 2
        assert 0 < int(third.headers["retry-after"]) <= 24 * 3600 + 1

    monthly = await priced.new_key(spend_per_month_usd=5.0)
    async with priced.client(monthly) as api:
        assert (await api.post("/v1/generations", json=BRIEF)).status_code == 202  # 2.58 estimated, none spent
        # the first one records what it spent; now another estimated 2.58 does not fit in 5.00
        first = (await api.get("/v1/generations")).json()["items"][0]["id"]
        await priced.state.docs.record_cost(first, CostEntry(key="chunk:0-0", stage="chunking", model="offline-video",
                                                             units=25, usd=2.5))
        over = await api.post("/v1/generations", json=BRIEF)
        assert over.status_code == 429, over.text
        assert over.json()["limit"] == "spend_per_month_usd" and over.json()["used"] == 2.5
        assert "5 USD a month" in over.json()["detail"]


async def _doc(docs: GenerationRepository, owner: str, status: str, created: datetime,
               costs: list[CostEntry], seconds: float | None = None) -> str:
    gid = new_id()
    spec = GenerationSpec(brief="usage", duration_s=15, size={"width": 180, "height": 320})
    await docs.create(GenerationDoc(_id=gid, owner=owner, status=status, created_at=created, updated_at=created,
                                    spec=spec, request=RequestRecord(key_id="k")))
    for entry in costs:
        await docs.record_cost(gid, entry)
    if seconds is not None:
        await docs.collection.update_one({"_id": gid}, {"$set": {"master": MasterSection(
            video={"bucket": "admint", "key": "k", "sha256": "0" * 64, "size": 1, "content_type": "video/mp4"},
            duration_s=seconds, frames=int(seconds * 30), has_audio=True).model_dump(mode="json")}})
    return gid


async def test_usage_per_owner_and_across_owners(priced: RunningGateway, docs: GenerationRepository) -> None:
    key = await priced.new_key()
    async with priced.client(key) as api:
        owner = (await api.get("/v1/me")).json()["owner"]
    other = f"other-{new_id().lower()}"
    day1 = datetime(2031, 3, 4, 10, tzinfo=UTC)
    day2 = day1 + timedelta(days=1)
    image = CostEntry(key="storyboard:0", stage="storyboard", model="flux-schnell", usd=0.003)
    video = CostEntry(key="chunk:0-0", stage="chunking", model="wan-i2v", units=5, usd=0.45)
    await _doc(docs, owner, "completed", day1, [image, video], seconds=15.0)
    await _doc(docs, owner, "failed", day1, [image])
    await _doc(docs, owner, "completed", day2, [image, video], seconds=30.0)
    await _doc(docs, other, "cancelled", day2, [video])
    await _doc(docs, owner, "completed", day2 + timedelta(days=5), [video], seconds=15.0)  # outside the range

    async with priced.client(key) as api:
        response = await api.get("/v1/usage", params={"from": "2031-03-04", "to": "2031-03-05"})
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        assert report["from"].startswith("2031-03-04") and report["to"].startswith("2031-03-06")
        totals = report["totals"]
        assert totals["generations"] == 3 and totals["by_outcome"] == {"completed": 2, "failed": 1}
        assert totals["video_seconds"] == 45.0
        assert totals["cost_usd"] == pytest.approx(3 * 0.003 + 2 * 0.45)
        assert totals["cost_by_stage"] == pytest.approx({"storyboard": 0.009, "chunking": 0.9})
        assert totals["cost_by_model"] == pytest.approx({"flux-schnell": 0.009, "wan-i2v": 0.9})
        assert [d["date"] for d in report["days"]] == ["2031-03-04", "2031-03-05"]
        assert [d["generations"] for d in report["days"]] == [2, 1] and report["owners"] is None
        bad = await api.get("/v1/usage", params={"from": "2031-03-05", "to": "2031-03-04"})
        assert bad.status_code == 422
        assert (await api.get("/v1/admin/usage")).status_code == 401

    async with priced.client(ADMIN_TOKEN) as admin:
        everyone = (await admin.get("/v1/admin/usage", params={"from": "2031-03-04", "to": "2031-03-05"})).json()
    assert everyone["totals"]["generations"] == 4
    by_owner = {o["owner"]: o for o in everyone["owners"]}
    assert by_owner[other]["by_outcome"] == {"cancelled": 1} and by_owner[owner]["generations"] == 3


def test_a_priced_registry_file_is_what_the_gateway_reads(tmp_path: Path) -> None:
    from admint.providers.registry import load_registry

    path = priced_registry(tmp_path, {"offline-video": 0.25})
    assert load_registry(path).get("offline-video").price(5.0) == 1.25
    assert load_registry().get("offline-video").price(5.0) == 0.0  # the built-in one is untouched
