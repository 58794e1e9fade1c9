"""The gateway's own reads and writes beside the shared GenerationRepository: owner-scoped queries, assets,
and Idempotency-Key claims. Every query carries the owner, so one key can never reach another's data."""

import hashlib
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from admint.contracts.stages import PIPELINE
from admint.core.docstore import now
from admint.core.mongo import Database


class GenerationQueries:
    def __init__(self, db: Database) -> None:
        self.collection = db.generations

    async def get_owned(self, generation_id: str, owner: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self.collection.find_one({"_id": generation_id, "owner": owner})
        return doc

    async def page(
        self, owner: str, *, status: str | None = None, before: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"owner": owner}
        if status:
            query["status"] = status
        if before:
            query["_id"] = {"$lt": before}
        projection = {"spec.brief": 1, "spec.duration_s": 1, "spec.aspect": 1, "status": 1, "error": 1,
                      "created_at": 1, "updated_at": 1}
        cursor = self.collection.find(query, projection=projection).sort("_id", DESCENDING).limit(limit)
        return [doc async for doc in cursor]

    async def count_active(self, owner: str) -> int:
        return int(await self.collection.count_documents({"owner": owner, "status": {"$in": list(PIPELINE.active)}}))

    async def active_using_asset(self, owner: str, asset_id: str) -> int:
        return int(await self.collection.count_documents(
            {"owner": owner, "spec.product_asset_id": asset_id, "status": {"$in": list(PIPELINE.active)}}
        ))


class AssetRepository:
    def __init__(self, db: Database) -> None:
        self.collection = db.assets

    async def insert(self, doc: dict[str, Any]) -> None:
        await self.collection.insert_one(doc)

    async def get_owned(self, asset_id: str, owner: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self.collection.find_one({"_id": asset_id, "owner": owner})
        return doc

    async def page(self, owner: str, *, before: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"owner": owner}
        if before:
            query["_id"] = {"$lt": before}
        return [doc async for doc in self.collection.find(query).sort("_id", DESCENDING).limit(limit)]

    async def delete(self, asset_id: str, owner: str) -> bool:
        result = await self.collection.delete_one({"_id": asset_id, "owner": owner})
        return result.deleted_count == 1


class IdempotencyRecords:
    """One record per (owner, Idempotency-Key), claimed with an insert on a unique _id (race-free).

    The record holds the whole document to create, so a retry after a crash between claim and publish
    finishes the same generation (same id, same seed) instead of starting another one.
    """

    def __init__(self, db: Database) -> None:
        self.collection = db.idempotency_keys

    @staticmethod
    def record_id(owner: str, key: str) -> str:
        return f"{owner}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def claim(
        self, owner: str, key: str, request_hash: str, generation_id: str, document: dict[str, Any]
    ) -> dict[str, Any] | None:
        """None when this call claimed the key; else the earlier record (compare its request_hash)."""
        record = {
            "_id": self.record_id(owner, key), "owner": owner, "request_hash": request_hash,
            "generation_id": generation_id, "document": document, "created_at": now(),
        }
        try:
            await self.collection.insert_one(record)
        except DuplicateKeyError:
            existing: dict[str, Any] | None = await self.collection.find_one({"_id": record["_id"]})
            return existing
        return None

    async def get(self, owner: str, key: str) -> dict[str, Any] | None:
        record: dict[str, Any] | None = await self.collection.find_one({"_id": self.record_id(owner, key)})
        return record

    async def release(self, owner: str, key: str) -> None:
        """Forget a claim whose request did not happen (the bus refused it), so a retry starts afresh."""
        await self.collection.delete_one({"_id": self.record_id(owner, key)})
