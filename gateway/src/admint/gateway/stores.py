"""The gateway's own reads and writes beside the shared GenerationRepository: owner-scoped queries, assets,
and Idempotency-Key claims. Every query carries the owner, so one key can never reach another's data."""

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from admint.contracts.common import Aspect
from admint.contracts.stages import PIPELINE, Stage, Status
from admint.core.docstore import now
from admint.core.document import GenerationDoc
from admint.core.mongo import Database
from admint.gateway.read_cache import ReadCache


class _Projection(BaseModel):
    """Part of a stored generation, read as it is (no version-1 migration is needed for these fields)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ListedSpec(_Projection):
    brief: str
    duration_s: int
    aspect: Aspect


class ListedError(_Projection):
    stage: Stage


class ListedGeneration(_Projection):
    """The few fields of a generation a list page shows (a projection, not the whole document)."""

    id: str = Field(alias="_id")
    status: Status
    created_at: datetime
    updated_at: datetime
    spec: ListedSpec
    error: ListedError | None = None


_LISTED = {"spec.brief": 1, "spec.duration_s": 1, "spec.aspect": 1, "status": 1, "error.stage": 1,
           "created_at": 1, "updated_at": 1}


class GenerationQueries:
    """The owner-scoped reads; with a ReadCache, answered from memory while nothing changed (read_cache.py)."""

    def __init__(self, db: Database, cache: ReadCache | None = None) -> None:
        self.collection = db.generations
        self.cache = cache

    async def get_owned(self, generation_id: str, owner: str) -> GenerationDoc | None:
        async def load() -> GenerationDoc | None:
            raw = await self.collection.find_one({"_id": generation_id})
            return GenerationDoc.from_mongo(raw) if raw is not None else None

        doc = await (self.cache.document(generation_id, load) if self.cache else load())
        return doc if doc is not None and doc.owner == owner else None

    async def page(
        self, owner: str, *, status: str | None = None, before: str | None = None, limit: int = 20
    ) -> list[ListedGeneration]:
        query: dict[str, Any] = {"owner": owner, "deletion": {"$exists": False}}
        if status:
            query["status"] = status
        if before:
            query["_id"] = {"$lt": before}

        async def load() -> list[ListedGeneration]:
            cursor = self.collection.find(query, projection=_LISTED).sort("_id", DESCENDING).limit(limit)
            return [ListedGeneration.model_validate(raw) async for raw in cursor]

        key = (owner, status, before, limit)
        return await (self.cache.page(key, load) if self.cache else load())

    async def count_active(self, owner: str) -> int:
        return int(await self.collection.count_documents({"owner": owner, "status": {"$in": list(PIPELINE.active)}}))

    async def withdraw(self, generation_id: str) -> None:
        """Remove a document that was never published (its admission was refused after all)."""
        await self.collection.delete_one({"_id": generation_id, "request.published_at": None})

    async def active_by_status(self, owner: str | None = None) -> dict[str, int]:
        """Unfinished generations by status (one owner's, or everyone's): where the queue stands."""
        where: dict[str, Any] = {} if owner is None else {"owner": owner}
        counts = {status: int(await self.collection.count_documents({**where, "status": status}))
                  for status in sorted(PIPELINE.active)}
        return {status: n for status, n in counts.items() if n}

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


class IdempotencyRecord(BaseModel):
    """An Idempotency-Key claim: the request's fingerprint and the generation document it creates."""

    request_hash: str
    document: GenerationDoc


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

    async def claim(self, owner: str, key: str, doc: GenerationDoc) -> IdempotencyRecord | None:
        """None when this call claimed the key for `doc`; else the earlier record (compare its request_hash)."""
        record = {
            "_id": self.record_id(owner, key), "owner": owner, "request_hash": doc.request.request_hash,
            "generation_id": doc.id, "document": doc.to_mongo(), "created_at": now(),
        }
        try:
            await self.collection.insert_one(record)
        except DuplicateKeyError:
            return await self.get(owner, key)
        return None

    async def get(self, owner: str, key: str) -> IdempotencyRecord | None:
        raw = await self.collection.find_one({"_id": self.record_id(owner, key)})
        if raw is None:
            return None
        # records written before the typed document held it without its id (and in the version-1 shape)
        document = {**raw["document"], "_id": raw["generation_id"]}
        return IdempotencyRecord(request_hash=raw["request_hash"], document=GenerationDoc.from_mongo(document))

    async def forget_generation(self, owner: str, generation_id: str) -> None:
        """A deleted generation's claim goes too: it holds the whole request (the brief)."""
        await self.collection.delete_many({"owner": owner, "generation_id": generation_id})

    async def release(self, owner: str, key: str) -> None:
        """Forget a claim whose request did not happen (the bus refused it), so a retry starts afresh."""
        await self.collection.delete_one({"_id": self.record_id(owner, key)})


class AdmissionSlots:
    """The generations each owner runs, as one document per owner whose list only grows by a conditional update:
    a burst of concurrent requests can never admit more than the limit (a count followed by an insert can).

    A slot is freed lazily: before taking one, the slots of generations that have ended (or never were written)
    are dropped. A generation's document is written before its slot is taken, so a slot taken is never mistaken
    for a finished one.
    """

    def __init__(self, db: Database) -> None:
        self.collection = db.admission
        self.generations = db.generations

    async def take(self, owner: str, generation_id: str, limit: int) -> bool:
        await self._free_ended(owner)
        try:
            await self.collection.update_one(
                {"_id": owner, f"running.{limit - 1}": {"$exists": False}},
                {"$addToSet": {"running": generation_id}}, upsert=True)
        except DuplicateKeyError:  # the owner's document exists and is full: the upsert's insert collided
            return False
        return True

    async def _free_ended(self, owner: str) -> None:
        slots = await self.collection.find_one({"_id": owner})
        running = list((slots or {}).get("running") or [])
        if not running:
            return
        live = {raw["_id"] async for raw in self.generations.find(
            {"_id": {"$in": running}, "status": {"$in": list(PIPELINE.active)}}, projection={"_id": 1})}
        ended = [gid for gid in running if gid not in live]
        if ended:
            await self.collection.update_one({"_id": owner}, {"$pull": {"running": {"$in": ended}}})
