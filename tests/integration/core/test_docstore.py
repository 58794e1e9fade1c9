"""The generations repository against a real MongoDB-wire server."""

import pytest

from admint.contracts.common import CostEntry
from admint.core.docstore import GenerationRepository, ProcessedMarkers
from admint.core.mongo import connect
from admint.core.settings import CoreSettings

pytestmark = pytest.mark.integration


async def test_status_moves_forward_only(docs: GenerationRepository, gid: str) -> None:
    assert await docs.create(gid, {"owner": "o"}) is True
    assert await docs.create(gid, {"owner": "o"}) is False
    assert await docs.advance(gid, "chunking", {"chunking.expected": 3})
    assert not await docs.advance(gid, "planning", {"plan": "stale"})
    assert await docs.advance(gid, "chunking")  # the same status again: idempotent redelivery
    doc = await docs.get(gid)
    assert doc is not None and doc["status"] == "chunking" and "plan" not in doc
    assert await docs.fail(gid, "chunking", "boom", retryable=True)
    assert not await docs.advance(gid, "stitching")
    assert not await docs.fail(gid, "chunking", "second failure")
    doc = await docs.get(gid)
    assert doc is not None and doc["status"] == "failed" and doc["error"]["reason"] == "boom"


async def test_fan_in_and_costs_are_idempotent(docs: GenerationRepository, gid: str) -> None:
    await docs.create(gid, {"owner": "o"})
    assert await docs.add_to_set(gid, "storyboard.done", 0) == 1
    assert await docs.add_to_set(gid, "storyboard.done", 1) == 2
    assert await docs.add_to_set(gid, "storyboard.done", 1) == 2
    entry = CostEntry(key="chunk:0-1", stage="chunking", model="wan-i2v", units=5, usd=0.45)
    await docs.record_cost(gid, entry)
    await docs.record_cost(gid, entry)
    await docs.set_fields(gid, {"chunks.0-1": {"key": "k"}})
    doc = await docs.get(gid)
    assert doc is not None
    assert list(doc["costs"]) == ["chunk:0-1"] and doc["costs"]["chunk:0-1"]["usd"] == 0.45
    assert doc["chunks"] == {"0-1": {"key": "k"}}


async def test_processed_markers_claim_once(docs: GenerationRepository, gid: str) -> None:
    markers = ProcessedMarkers(docs.db)
    assert await markers.claim(f"{gid}:x")
    assert not await markers.claim(f"{gid}:x")


async def test_document_survives_mongo_wire_restart(stack, bootstrapped: CoreSettings, gid: str) -> None:
    client = connect(bootstrapped.mongo_url)
    repo = GenerationRepository(client[bootstrapped.mongo_db])
    await repo.create(gid, {"owner": "survivor", "brief": "keep me"})
    await client.close()
    seconds = stack.restart("mongo")
    client = connect(bootstrapped.mongo_url)
    try:
        doc = await GenerationRepository(client[bootstrapped.mongo_db]).get(gid)
        assert doc is not None and doc["brief"] == "keep me"
    finally:
        await client.close()
    assert seconds < 60


async def test_stage_clock_starts_once_and_finds_stuck_generations(
    docs: GenerationRepository, gid: str
) -> None:
    from datetime import timedelta

    from admint.core.docstore import now

    await docs.create(gid, {"owner": "o"})
    assert await docs.advance(gid, "chunking")
    first = (await docs.get(gid))["timeline"]["chunking"]
    assert await docs.advance(gid, "chunking", {"x": 1})
    assert (await docs.get(gid))["timeline"]["chunking"] == first
    assert gid in await docs.stuck("chunking", now() + timedelta(seconds=1))
    assert gid not in await docs.stuck("chunking", now() - timedelta(seconds=60))
