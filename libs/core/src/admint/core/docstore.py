"""MongoDB adapters: the generations repository and idempotency markers.

Each service $sets only its own fields; status moves forward only, enforced by a conditional update.
"""

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from admint.contracts.common import CostEntry
from admint.contracts.stages import PIPELINE
from admint.core.mongo import Database


def now() -> datetime:
    return datetime.now(UTC)


async def ensure_indexes(db: Database) -> None:
    """Idempotent index bootstrap for every collection (DESIGN.md §4)."""
    await db.generations.create_index([("owner", ASCENDING), ("created_at", DESCENDING)])
    await db.generations.create_index([("owner", ASCENDING), ("idempotency_key", ASCENDING)])
    await db.generations.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
    await db.assets.create_index([("owner", ASCENDING), ("created_at", DESCENDING)])
    await db.api_keys.create_index("key_hash", unique=True)
    await db.processed.create_index("key", unique=True)


class GenerationRepository:
    """The `generations` collection behind the GenerationStore port."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.collection = db.generations

    async def create(self, generation_id: str, doc: dict[str, Any]) -> bool:
        stamp = now()
        body = {"status": "queued", "created_at": stamp, "updated_at": stamp, **doc, "_id": generation_id}
        try:
            await self.collection.insert_one(body)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, generation_id: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self.collection.find_one({"_id": generation_id})
        return doc

    async def advance(self, generation_id: str, status: str, fields: dict[str, Any] | None = None) -> bool:
        update = {"status": status, "updated_at": now(), **(fields or {})}
        if status in PIPELINE.terminal:
            update[f"{status}_at"] = update["updated_at"]
        result = await self.collection.update_one(
            {"_id": generation_id, "status": {"$in": PIPELINE.statuses_before(status)}},
            # $min keeps the first entry time of each status: redelivery re-applies fields, not the clock
            {"$set": update, "$min": {f"timeline.{status}": update["updated_at"]}},
        )
        return result.matched_count == 1

    async def stuck(self, status: str, older_than: datetime, limit: int = 100) -> list[str]:
        """Ids of generations that entered `status` before `older_than` and are still in it (stage timeouts)."""
        cursor = self.collection.find(
            {"status": status, f"timeline.{status}": {"$lt": older_than}}, projection={"_id": 1}
        ).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

    async def set_fields(self, generation_id: str, fields: dict[str, Any]) -> None:
        await self.collection.update_one({"_id": generation_id}, {"$set": {**fields, "updated_at": now()}})

    async def add_to_set(self, generation_id: str, field: str, value: Any) -> int:
        doc = await self.collection.find_one_and_update(
            {"_id": generation_id},
            {"$addToSet": {field: value}, "$set": {"updated_at": now()}},
            projection={field: 1},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise KeyError(f"generation {generation_id} does not exist")
        node: Any = doc
        for part in field.split("."):
            node = node.get(part, []) if isinstance(node, dict) else []
        return len(node)

    async def record_cost(self, generation_id: str, entry: CostEntry) -> None:
        safe_key = entry.key.replace(".", "_").replace("$", "_")
        await self.set_fields(generation_id, {f"costs.{safe_key}": entry.model_dump()})

    async def fail(
        self,
        generation_id: str,
        stage: str,
        reason: str,
        *,
        retryable: bool = False,
        detail: str | None = None,
    ) -> bool:
        error = {"stage": stage, "reason": reason, "retryable": retryable, "detail": detail, "at": now()}
        return await self.advance(generation_id, "failed", {"error": error})

    async def reopen(self, generation_id: str, status: str) -> int | None:
        """Move a failed generation back into `status` for a retry round; returns the new attempt number.

        The one deliberate exception to forward-only status: only `failed` can be reopened, the previous error
        is kept in `previous_errors`, and the stage clock restarts so the watchdog gives the round a full budget.
        """
        doc = await self.collection.find_one({"_id": generation_id, "status": "failed"})
        if doc is None:
            return None
        stamp = now()
        updated = await self.collection.find_one_and_update(
            {"_id": generation_id, "status": "failed", "updated_at": doc["updated_at"]},
            {
                "$set": {"status": status, "updated_at": stamp, f"timeline.{status}": stamp},
                "$inc": {"attempt": 1},
                "$unset": {"error": ""},
                "$push": {"previous_errors": doc.get("error") or {}},
            },
            return_document=ReturnDocument.AFTER,
        )
        return int(updated["attempt"]) if updated else None

    async def status(self, generation_id: str) -> str | None:
        doc = await self.collection.find_one({"_id": generation_id}, projection={"status": 1})
        return str(doc["status"]) if doc else None


class ProcessedMarkers:
    """Idempotent-consumer markers: claim(key) is True exactly once per key (unique index)."""

    def __init__(self, db: Database) -> None:
        self.collection = db.processed

    async def claim(self, key: str) -> bool:
        try:
            await self.collection.insert_one({"key": key, "at": now()})
        except DuplicateKeyError:
            return False
        return True

    async def release(self, key: str) -> None:
        await self.collection.delete_one({"key": key})
