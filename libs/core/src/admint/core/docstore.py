"""The `generations` collection behind the GenerationStore port: typed methods, the field paths live only here.

Each stage writes its own sections. Status moves forward only (a conditional update on the stage table's order),
except `reopen` (failed → the failed stage) for a retry round. Fan-ins record an item and count the set in one
atomic update, so the count the handler sees includes its own item.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from admint.contracts.common import CostEntry
from admint.contracts.plan import Plan
from admint.contracts.quality import QualityKind
from admint.contracts.stages import PIPELINE, Stage
from admint.core.document import (
    CancelInfo,
    ChunkEntry,
    ChunkPlanRecord,
    DeletionInfo,
    ErrorInfo,
    ExportsSection,
    FrameEntry,
    GenerationDoc,
    MasterSection,
    ScoreEntry,
)
from admint.core.metrics import COST_USD
from admint.core.mongo import Collection, Database


def now() -> datetime:
    return datetime.now(UTC)


REDACTED = "[deleted]"
"""What a deleted generation's brief reads afterwards."""
RetentionKind = Literal["intermediates", "videos"]


def _json(model: Any) -> Any:
    return model.model_dump(mode="json", exclude_none=True)


async def ensure_indexes(db: Database) -> None:
    """Idempotent index bootstrap for every collection (DESIGN.md §4)."""
    await db.generations.create_index([("owner", ASCENDING), ("created_at", DESCENDING)])
    await db.generations.create_index([("owner", ASCENDING), ("_id", DESCENDING)])  # the newest-first list page
    await db.generations.create_index([("owner", ASCENDING), ("request.idempotency_key", ASCENDING)])
    await db.generations.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
    await db.assets.create_index([("owner", ASCENDING), ("created_at", DESCENDING)])
    await db.api_keys.create_index("key_hash", unique=True)
    await db.generations.create_index([("request.key_id", ASCENDING), ("created_at", ASCENDING)])
    await db.webhook_endpoints.create_index([("owner", ASCENDING), ("kind", ASCENDING)])
    await db.webhook_deliveries.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
    await db.webhook_deliveries.create_index([("message_id", ASCENDING), ("endpoint_id", ASCENDING)], unique=True)
    await db.webhook_deliveries.create_index([("owner", ASCENDING), ("endpoint_id", ASCENDING), ("_id", DESCENDING)])


class GenerationRepository:
    """MongoDB adapter of the GenerationStore port (stores.py).

    The typed methods are written on four primitives (`_insert`, `_find`, `_update`, `_add_to_set`); the unit
    tests' in-memory fake overrides just those, so the field paths are exercised there too.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.collection: Collection = db.generations

    # ------------------------------------------------------------------------------------------------ reads

    async def get(self, generation_id: str) -> GenerationDoc | None:
        raw = await self._find(generation_id)
        return GenerationDoc.from_mongo(raw) if raw is not None else None

    async def status(self, generation_id: str) -> str | None:
        raw = await self._find(generation_id, ["status"])
        return str(raw["status"]) if raw else None

    async def stuck(self, status: str, older_than: datetime, limit: int = 100) -> list[str]:
        """Ids of generations that entered `status` before `older_than` and are still in it (stage timeouts)."""
        cursor = self.collection.find(
            {"status": status, f"timeline.{status}": {"$lt": older_than}}, projection={"_id": 1}
        ).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

    async def quiet(self, status: str, older_than: datetime, limit: int = 100) -> list[str]:
        """Ids of generations in `status` not written since `older_than` (candidates for healing a fan-in)."""
        cursor = self.collection.find(
            {"status": status, "updated_at": {"$lt": older_than}}, projection={"_id": 1}
        ).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

    # ------------------------------------------------------------------------------------- lifecycle, any stage

    async def create(self, doc: GenerationDoc) -> bool:
        """Insert a new generation (status queued); False when the id exists already."""
        return await self._insert(doc.to_mongo())

    async def enter(self, generation_id: str, status: str, sets: dict[str, Any] | None = None) -> bool:
        """Move status forward (never backwards, never out of a terminal status), with the stage's own `sets`.

        Moving to the current status again is allowed and re-applies `sets` (idempotent redelivery). False (and
        nothing written) when the move would go backwards or the generation is terminal.
        """
        stamp = now()
        # the first entry time of each status is kept: redelivery re-applies fields, not the clock
        return await self._update(generation_id, {"status": status, **(sets or {})},
                                  first={f"timeline.{status}": stamp}, statuses=PIPELINE.statuses_before(status))

    async def fail(self, generation_id: str, stage: Stage, reason: str, *, retryable: bool = False,
                   detail: str | None = None) -> bool:
        """Move to failed with the error recorded; False when already terminal."""
        error = ErrorInfo(stage=stage, reason=reason, retryable=retryable, detail=detail, at=now())
        return await self.enter(generation_id, "failed", {"error": _json(error)})

    async def cancel(self, generation_id: str, by: CancelInfo) -> bool:
        return await self.enter(generation_id, "cancelled", {"cancel": _json(by)})

    async def reopen(self, generation_id: str, status: str) -> int | None:
        """Move a failed generation back into `status` for a retry round; returns the new attempt number.

        The one deliberate exception to forward-only status: only `failed` can be reopened, the previous error
        is kept in `previous_errors`, and the stage clock restarts so the watchdog gives the round a full budget.
        """
        raw = await self.collection.find_one({"_id": generation_id, "status": "failed"})
        if raw is None:
            return None
        stamp = now()
        updated = await self.collection.find_one_and_update(
            {"_id": generation_id, "status": "failed", "updated_at": raw["updated_at"]},
            {
                "$set": {"status": status, "updated_at": stamp, f"timeline.{status}": stamp},
                "$inc": {"attempt": 1},
                "$unset": {"error": ""},
                "$push": {"previous_errors": raw.get("error") or {}},
            },
            return_document=ReturnDocument.AFTER,
        )
        return int(updated["attempt"]) if updated else None

    async def record_cost(self, generation_id: str, entry: CostEntry) -> None:
        """costs.<key> (a re-run overwrites the same entry, so costs never double)."""
        safe_key = entry.key.replace(".", "_").replace("$", "_")
        await self._set(generation_id, {f"costs.{safe_key}": _json(entry)})
        COST_USD.labels(entry.stage, entry.model).inc(entry.usd)

    async def mark_published(self, generation_id: str) -> None:
        """The gateway published generation.requested.v1 for it."""
        await self._set(generation_id, {"request.published_at": now()})

    # ------------------------------------------------------------------------------------------- stage sections

    async def store_plan(self, generation_id: str, plan: Plan) -> bool:
        """The planner's result; False when the generation left planning meanwhile (cancelled)."""
        return await self.enter(generation_id, "planning", {"plan": _json(plan)})

    async def start_storyboard(self, generation_id: str, total: int, image_model: str) -> bool:
        return await self.enter(generation_id, "storyboarding",
                                {"storyboard.total": total, "storyboard.image_model": image_model})

    async def record_frame(self, generation_id: str, beat: int, frame: FrameEntry) -> None:
        await self._set(generation_id, {f"storyboard.frames.{beat}": _json(frame)})

    async def frame_done(self, generation_id: str, beat: int, frame: FrameEntry) -> int:
        """Record the beat's frame and count it in the storyboard fan-in, in one update; returns the count."""
        return len(await self._add_to_set(generation_id, "storyboard.done", beat,
                                          {f"storyboard.frames.{beat}": _json(frame)}))

    async def start_chunking(self, generation_id: str, planned: ChunkPlanRecord) -> bool:
        return await self.enter(generation_id, "chunking", {
            "chunking.model": planned.model, "chunking.chunk_duration_s": planned.chunk_duration_s,
            "chunking.total": planned.total, "chunking.beats": planned.beats,
        })

    async def record_chunk(self, generation_id: str, chunk: ChunkEntry) -> None:
        """List a stored chunk at once, so whatever happens next the document names every stored object."""
        await self._set(generation_id, {f"chunking.chunks.{chunk.item}": _json(chunk)})

    async def chunk_done(self, generation_id: str, chunk: ChunkEntry) -> int:
        """Record a chunk and count it in the chunking fan-in, in one update; returns the count."""
        return len(await self._add_to_set(generation_id, "chunking.done", chunk.item,
                                          {f"chunking.chunks.{chunk.item}": _json(chunk)}))

    async def record_take(self, generation_id: str, chunk: ChunkEntry) -> None:
        """List one stored take of a chunk (quality threshold set) at once, like record_chunk."""
        await self._set(generation_id, {f"chunking.takes.{chunk.item}.{chunk.take}": _json(chunk)})

    async def record_master(self, generation_id: str, master: MasterSection) -> bool:
        """List the stored master whatever happened meanwhile (a cancelled generation still names every object
        it stored); True only while the generation is still stitching, i.e. the master may be announced."""
        await self._set(generation_id, {"master": _json(master)})
        return await self.enter(generation_id, "stitching")

    async def record_exports(self, generation_id: str, exports: ExportsSection) -> None:
        await self._set(generation_id, {"exports": _json(exports)})

    async def complete(self, generation_id: str, total_cost_usd: float) -> bool:
        return await self.enter(generation_id, "completed", {"total_cost_usd": total_cost_usd})

    async def record_score(self, generation_id: str, kind: QualityKind, item: str, take: int,
                           entry: ScoreEntry) -> None:
        """The scorer's section, whatever the status (scores arrive after completion too)."""
        path = {"chunk": f"quality.chunks.{item}.{take}", "master": "quality.master",
                "rendition": f"quality.renditions.{item}"}[kind]
        await self._set(generation_id, {path: _json(entry)})

    # ----------------------------------------------------------------------------------- deletion and retention

    async def mark_deleted(self, generation_id: str, info: DeletionInfo) -> bool:
        """Record the owner's deletion and drop what the client wrote (the brief) or was derived from it (the
        plan); outcome, timeline, costs and durations stay, for usage. True when this call marked it."""
        result = await self.collection.update_one(
            {"_id": generation_id, "deletion": {"$exists": False}},
            {"$set": {"deletion": _json(info), "spec.brief": REDACTED, "updated_at": now()}, "$unset": {"plan": ""}},
        )
        return result.matched_count == 1

    async def deletion_done(self, generation_id: str, objects_deleted: int) -> None:
        """Objects removed by a deletion pass (a repeated DELETE sweeps again and adds what it found)."""
        await self.collection.update_one({"_id": generation_id}, {
            "$set": {"deletion.completed_at": now(), "updated_at": now()},
            "$inc": {"deletion.objects_deleted": objects_deleted}})

    async def deleted_since(self, since: datetime, limit: int = 100) -> list[str]:
        """Generations deleted after `since` (the retention sweep removes objects a straggler wrote after it)."""
        cursor = self.collection.find({"deletion.requested_at": {"$gte": since}}, projection={"_id": 1}).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

    async def retention_due(self, kind: RetentionKind, ended_before: datetime, limit: int = 50) -> list[str]:
        """Ended (completed, failed or cancelled) before `ended_before`, not deleted, `kind` not yet removed."""
        cursor = self.collection.find({
            "$or": [{"status": s, f"timeline.{s}": {"$lt": ended_before}} for s in sorted(PIPELINE.terminal)],
            f"retention.{kind}_deleted_at": {"$exists": False}, "deletion": {"$exists": False},
        }, projection={"_id": 1}).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

    async def claim_retention(self, generation_id: str, kind: RetentionKind, lease_s: float) -> bool:
        """Claim one generation's `kind` for this replica for `lease_s` (an expired claim can be taken over)."""
        stamp = now()
        claim = f"retention.claims.{kind}"
        result = await self.collection.update_one(
            {"_id": generation_id, f"retention.{kind}_deleted_at": {"$exists": False},
             "$or": [{claim: {"$exists": False}}, {claim: {"$lt": stamp}}]},
            {"$set": {claim: stamp + timedelta(seconds=lease_s)}},
        )
        return result.matched_count == 1

    async def retention_done(self, generation_id: str, kind: RetentionKind, objects_deleted: int) -> None:
        await self.collection.update_one(
            {"_id": generation_id},
            {"$set": {f"retention.{kind}_deleted_at": now(), "updated_at": now()},
             "$inc": {"retention.objects_deleted": objects_deleted}, "$unset": {f"retention.claims.{kind}": ""}},
        )

    # ------------------------------------------------------------------------------------------------ helpers

    async def _set(self, generation_id: str, sets: dict[str, Any]) -> None:
        await self._update(generation_id, sets)

    # ------------------------------------------------------------------------------- MongoDB primitives

    async def _insert(self, raw: dict[str, Any]) -> bool:
        try:
            await self.collection.insert_one(raw)
        except DuplicateKeyError:
            return False
        return True

    async def _find(self, generation_id: str, fields: list[str] | None = None) -> dict[str, Any] | None:
        projection = dict.fromkeys(fields, 1) if fields else None
        return await self.collection.find_one({"_id": generation_id}, projection=projection)

    async def _update(self, generation_id: str, sets: dict[str, Any], *, first: dict[str, Any] | None = None,
                      statuses: list[str] | None = None) -> bool:
        """$set `sets` (dotted paths) and keep the earliest value of each `first` path; only while the status is
        one of `statuses`, when given. True when the generation matched."""
        query: dict[str, Any] = {"_id": generation_id}
        if statuses is not None:
            query["status"] = {"$in": statuses}
        update: dict[str, Any] = {"$set": {**sets, "updated_at": now()}}
        if first:
            update["$min"] = first
        result = await self.collection.update_one(query, update)
        return result.matched_count == 1

    async def _add_to_set(self, generation_id: str, field: str, value: Any, sets: dict[str, Any]) -> list[Any]:
        section, name = field.split(".")
        raw = await self.collection.find_one_and_update(
            {"_id": generation_id},
            {"$addToSet": {field: value}, "$set": {**sets, "updated_at": now()}},
            projection={field: 1},
            return_document=ReturnDocument.AFTER,
        )
        if raw is None:
            raise KeyError(f"generation {generation_id} does not exist")
        return list((raw.get(section) or {}).get(name) or [])
