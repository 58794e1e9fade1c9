"""The gateway's own stores read typed documents: Idempotency-Key records (today's and those written before the
typed document) and list-page projections."""

from types import SimpleNamespace
from typing import Any

import pytest

from admint.core.document import RequestRecord
from admint.gateway.stores import IdempotencyRecords, ListedGeneration
from tests.support import builders

pytestmark = pytest.mark.unit


class Collection:
    """Just enough of a MongoDB collection for the records: insert_one with a unique _id, find_one by _id."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def insert_one(self, row: dict[str, Any]) -> None:
        from pymongo.errors import DuplicateKeyError

        if row["_id"] in self.rows:
            raise DuplicateKeyError("duplicate")
        self.rows[row["_id"]] = row

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        return self.rows.get(query["_id"])


def records() -> tuple[IdempotencyRecords, Collection]:
    collection = Collection()
    return IdempotencyRecords(SimpleNamespace(idempotency_keys=collection)), collection  # type: ignore[arg-type]


async def test_a_claim_keeps_the_document_to_create_and_a_second_claim_gets_it_back() -> None:
    store, _ = records()
    doc = builders.generation("G1", request=RequestRecord(key_id="K", idempotency_key="order-1", request_hash="h1"))
    assert await store.claim("acme", "order-1", doc) is None
    other = builders.generation("G2", request=RequestRecord(request_hash="h2"))
    earlier = await store.claim("acme", "order-1", other)
    assert earlier is not None and earlier.request_hash == "h1" and earlier.document == doc
    assert await store.claim("other-owner", "order-1", other) is None  # keys are per owner


async def test_a_record_written_before_the_typed_document_still_replays() -> None:
    store, collection = records()
    old = {"owner": "acme", "key_id": "K", "spec": builders.spec().model_dump(mode="json"), "idempotency_key": "k",
           "request_hash": "h", "created_at": builders.WHEN, "updated_at": builders.WHEN}
    collection.rows[store.record_id("acme", "k")] = {"_id": store.record_id("acme", "k"), "owner": "acme",
                                                      "request_hash": "h", "generation_id": "G1", "document": old}
    record = await store.get("acme", "k")
    assert record is not None and record.document.id == "G1" and record.document.status == "queued"
    assert record.document.request == RequestRecord(key_id="K", idempotency_key="k", request_hash="h")


def test_a_list_projection_reads_as_a_listed_generation() -> None:
    raw = {"_id": "G1", "status": "failed", "created_at": builders.WHEN, "updated_at": builders.WHEN,
           "spec": {"brief": "b", "duration_s": 15, "aspect": "1:1"}, "error": {"stage": "chunking"}}
    listed = ListedGeneration.model_validate(raw)
    assert (listed.id, listed.spec.aspect, listed.error.stage if listed.error else None) == ("G1", "1:1", "chunking")
