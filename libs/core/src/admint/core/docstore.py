"""The `generations` collection behind the GenerationStore port: typed methods, the field paths live only here.

Each stage writes its own sections. Status moves forward only (a conditional update on the stage table's order),
except `reopen` (failed → the failed stage) for a retry round. Fan-ins record an item and count the set in one
atomic update, so the count the handler sees includes its own item.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from admint.contracts.beats import BEAT_MOVES
from admint.contracts.common import CostEntry
from admint.contracts.feedback import FeedbackIntent, PlanEditProblem
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.contracts.quality import QualityKind
from admint.contracts.stages import PIPELINE, WAITING, Guard, Stage
from admint.core.document import (
    ApprovalRecord,
    BeatRecord,
    CancelInfo,
    ChunkEntry,
    ChunkPlanRecord,
    DeletionInfo,
    ErrorInfo,
    ExportsSection,
    FeedbackRecord,
    FrameEntry,
    GenerationDoc,
    MasterSection,
    MoodsSection,
    ScoreEntry,
    VersionSection,
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
    await db.generations.create_index([("status", ASCENDING), ("waiting_since", ASCENDING)])
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

    async def spec(self, generation_id: str) -> GenerationSpec | None:
        """The request alone: a handler that needs only it does not decode and validate the whole document."""
        raw = await self._find(generation_id, ["spec"])
        return GenerationSpec.model_validate(raw["spec"]) if raw else None

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
        guard = PIPELINE.guard(status)
        if guard.checkpoints:  # the move may also start at a checkpoint: leaving it clears the checkpoint
            return await self._update_where(generation_id, _guarded(guard),
                                            {"status": status, "checkpoint": None, **(sets or {})},
                                            first={f"timeline.{status}": stamp})
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

    async def reserve_cost(self, generation_id: str, field: str, usd: float, ceiling: float) -> bool:
        """Reserve a priced call under max_cost_usd (budget_reserved.<field>, and the running sum
        budget_committed_usd) unless the sum would pass `ceiling`: one compare-and-set, so calls checked at the
        same moment can never together pass the limit. True when reserved now or before (a retry of the call)."""
        for _ in range(50):  # a lost race means "read again", never "refuse"
            raw = await self._find(generation_id, ["budget_committed_usd", "budget_reserved"])
            if raw is None:
                return False
            if field in (raw.get("budget_reserved") or {}):
                return True
            committed = raw.get("budget_committed_usd")
            if float(committed or 0.0) + usd > ceiling + 1e-9:
                return False
            if await self._update_where(
                    generation_id, {"budget_committed_usd": committed, f"budget_reserved.{field}": {"$exists": False}},
                    {"budget_committed_usd": round(float(committed or 0.0) + usd, 9), f"budget_reserved.{field}": usd}):
                return True
        return False

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

    async def frame_done(self, generation_id: str, beat: int, frame: FrameEntry) -> tuple[int, GenerationDoc]:
        """Record the beat's frame and count it in the storyboard fan-in, in one update; returns the count and the
        document that update left (what the fan-in goes on from: no second read of the whole document)."""
        return await self._fan_in(generation_id, "storyboard.done", beat, {f"storyboard.frames.{beat}": _json(frame)})

    async def start_chunking(self, generation_id: str, planned: ChunkPlanRecord, version: int = 1) -> bool:
        """Record the chunk plan (and, for version 1, enter chunking); for a later version only while it renders."""
        section = _chunking(version)
        sets = {f"{section}.model": planned.model, f"{section}.chunk_duration_s": planned.chunk_duration_s,
                f"{section}.total": planned.total, f"{section}.beats": planned.beats}
        if version > 1:
            return await self._update_where(generation_id, _rendering(version), sets)
        return await self.enter(generation_id, "chunking", sets)

    async def record_chunk(self, generation_id: str, chunk: ChunkEntry, version: int = 1) -> None:
        """List a stored chunk at once, so whatever happens next the document names every stored object."""
        await self._set(generation_id, {f"{_chunking(version)}.chunks.{chunk.item}": _json(chunk)})

    async def chunk_done(self, generation_id: str, chunk: ChunkEntry,
                         version: int = 1) -> tuple[int, GenerationDoc]:
        """Record a chunk and count it in the chunking fan-in, in one update; returns the count and the document
        that update left (what the fan-in goes on from: no second read of the whole document)."""
        section = _chunking(version)
        return await self._fan_in(generation_id, f"{section}.done", chunk.item,
                                  {f"{section}.chunks.{chunk.item}": _json(chunk)})

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
    # ---------------------------------------------------------------------------------- checkpoints (interactive)

    async def wait_at(self, generation_id: str, checkpoint: str, sets: dict[str, Any] | None = None) -> bool:
        """Stop at a checkpoint (awaiting_approval); idempotent, never backwards. The deadline runs from now."""
        guard = PIPELINE.guard(WAITING, checkpoint)
        return await self._update_where(
            generation_id, _guarded(guard),
            {"status": WAITING, "checkpoint": checkpoint, "waiting_since": now(), **(sets or {})},
            first={f"timeline.{WAITING}": now()})

    async def approve(self, generation_id: str, checkpoint: str, record: ApprovalRecord, *,
                      next_checkpoint: str | None, next_status: str | None, beats: int = 0,
                      sets: dict[str, Any] | None = None) -> bool:
        """Leave a checkpoint, once: to the next checkpoint (still waiting) or into the next stage's status. False
        when it is not waiting there (approved already, cancelled, expired) or one of its `beats` is busy."""
        where: dict[str, Any] = {"status": WAITING, "checkpoint": checkpoint}
        for beat in range(beats):
            where[f"beats.{beat}.state"] = {"$nin": ["regenerating", "rendering"]}
        moved: dict[str, Any] = {f"approvals.{checkpoint}": _json(record), **(sets or {})}
        if next_checkpoint is not None:
            moved |= {"checkpoint": next_checkpoint, "waiting_since": now()}
            return await self._update_where(generation_id, where, moved)
        assert next_status is not None
        moved |= {"status": next_status, "checkpoint": None}
        return await self._update_where(generation_id, where, moved, first={f"timeline.{next_status}": now()})

    async def waiting_too_long(self, older_than: datetime, limit: int = 100) -> list[str]:
        """Ids of generations waiting at a checkpoint since before `older_than` (the approval deadline)."""
        cursor = self.collection.find({"status": WAITING, "waiting_since": {"$lt": older_than}},
                                      projection={"_id": 1}).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

    async def expire(self, generation_id: str, checkpoint: str, reason: str) -> bool:
        """End a generation still waiting at `checkpoint` as expired, with the reason."""
        error = {"stage": PIPELINE.by_name[_checkpoint_before(checkpoint)].name, "reason": reason, "at": now()}
        return await self._update_where(generation_id, {"status": WAITING, "checkpoint": checkpoint},
                                        {"status": "expired", "error": error},
                                        first={"timeline.expired": now()})

    async def renew_wait(self, generation_id: str) -> None:
        """An action at a checkpoint (edit, feedback, regeneration) restarts its approval deadline."""
        await self._update_where(generation_id, {"status": WAITING}, {"waiting_since": now()})

    async def record_moods(self, generation_id: str, moods: MoodsSection) -> None:
        await self._set(generation_id, {"moods": _json(moods)})

    # ------------------------------------------------------------------------------------- plan changes, beats

    async def change_plan(self, generation_id: str, plan: Plan, expect_rev: int, where: dict[str, Any],
                          sets: dict[str, Any] | None = None) -> bool:
        """Replace the plan if nobody changed it since revision `expect_rev` (and `where` still holds)."""
        return await self._update_where(generation_id, {**where, "plan_rev": expect_rev},
                                        {"plan": _json(plan), "plan_rev": expect_rev + 1, **(sets or {})})

    async def move_beat(self, generation_id: str, beat: int, state: str, *, take: int | None = None,
                        version: int | None = None, seed: int | None = None, reason: str | None = None,
                        expect_take: int | None = None) -> bool:
        """Move a beat's card (contracts/beats.py BEAT_MOVES), only from a state the move may start from, and only
        while its take is still `expect_take` when given. True when the card is (now) in `state`."""
        path = f"beats.{beat}"
        where: dict[str, Any] = {"$or": [{f"{path}.state": {"$in": list(BEAT_MOVES[state])}},
                                         {f"{path}.state": {"$exists": False}}]}
        if expect_take is not None:
            where[f"{path}.take"] = expect_take if expect_take else {"$in": [0, None]}
        sets: dict[str, Any] = {f"{path}.state": state, f"{path}.reason": reason, f"{path}.updated_at": now()}
        if take is not None:
            sets[f"{path}.take"] = take
            sets[f"{path}.seed"] = seed
        if version is not None:
            sets[f"{path}.version"] = version
        return await self._update_where(generation_id, where, sets)

    async def plan_beats(self, generation_id: str, count: int) -> None:
        """Every beat's card starts as planned (when the plan is stored)."""
        stamp = now()
        await self._set(generation_id, {f"beats.{i}": _json(BeatRecord(state="planned", updated_at=stamp))
                                        for i in range(count)})

    async def start_take(self, generation_id: str, beat: int, take: int, *, seed: int | None, where: dict[str, Any],
                         version: int | None = None) -> bool:
        """Claim take `take` of a beat for a regeneration (its card → regenerating), once: False when the beat is
        busy, another take was claimed meanwhile, or `where` no longer holds."""
        path = f"beats.{beat}"
        condition = {**where, f"{path}.state": {"$in": list(BEAT_MOVES["regenerating"][:-1])},
                     f"{path}.take": take - 1 if take > 1 else {"$in": [0, None]}}
        sets: dict[str, Any] = {f"{path}.state": "regenerating", f"{path}.take": take, f"{path}.seed": seed,
                                f"{path}.reason": None, f"{path}.updated_at": now()}
        if version is not None:
            sets[f"{path}.version"] = version
        return await self._update_where(generation_id, condition, sets)

    async def record_frame_take(self, generation_id: str, beat: int, frame: FrameEntry) -> None:
        """List a later take of a beat's frame (every take stays listed: its object is stored)."""
        await self._set(generation_id, {f"storyboard.takes.{beat}.{frame.take}": _json(frame)})

    async def use_take(self, generation_id: str, beat: int, frame: FrameEntry) -> bool:
        """Make a finished take the beat's current frame, unless a newer take was asked for meanwhile."""
        return await self._update_where(generation_id, {f"beats.{beat}.take": frame.take},
                                        {f"storyboard.frames.{beat}": _json(frame)})

    # ------------------------------------------------------------------------------------------------- feedback

    async def add_feedback(self, generation_id: str, record: FeedbackRecord) -> bool:
        return await self._update_where(generation_id, {f"feedback.{record.id}": {"$exists": False}},
                                        {f"feedback.{record.id}": _json(record)})

    async def interpreted(self, generation_id: str, feedback_id: str, intent: FeedbackIntent,
                          problems: list[PlanEditProblem], *, applied: bool = False) -> bool:
        """Record what was understood (once: a redelivery finds it recorded and re-announces it)."""
        path = f"feedback.{feedback_id}"
        sets: dict[str, Any] = {f"{path}.intent": _json(intent), f"{path}.problems": [_json(p) for p in problems],
                                f"{path}.state": "applied" if applied else "interpreted"}
        if applied:
            sets[f"{path}.applied_at"] = now()
        return await self._update_where(generation_id, {f"{path}.state": "interpreting"}, sets)

    async def feedback_applied(self, generation_id: str, feedback_id: str, *, failed: str | None = None) -> bool:
        """Mark interpreted feedback applied (or failed, with why), once."""
        path = f"feedback.{feedback_id}"
        sets: dict[str, Any] = {f"{path}.state": "failed" if failed else "applied", f"{path}.applied_at": now()}
        if failed:
            sets[f"{path}.error"] = failed
        return await self._update_where(generation_id, {f"{path}.state": {"$in": ["interpreted", "interpreting"]}},
                                        sets)

    # ------------------------------------------------------------------------------------------------- versions

    async def open_version(self, generation_id: str, version: VersionSection, plan_rev: int,
                           sets: dict[str, Any] | None = None) -> bool:
        """Start version N of a completed ad, once, and only when no other version is rendering (and nobody changed
        the plan since `plan_rev`): the version's plan becomes the generation's."""
        n = version.number
        return await self._update_where(
            generation_id,
            {"status": "completed", "rendering_version": {"$in": [0, None]}, f"ad_versions.{n}": {"$exists": False},
             "plan_rev": plan_rev},
            {f"ad_versions.{n}": _json(version), "rendering_version": n, "plan": _json(version.plan),
             "plan_rev": plan_rev + 1, **(sets or {})})

    async def version_frame_done(self, generation_id: str, version: int, beat: int, frame: FrameEntry) -> int:
        """Record a version's new frame and count it in its fan-in (one update); returns the count."""
        field = f"ad_versions.{version}.frames_done"
        return len(members(await self._add_to_set(generation_id, field, beat,
                                                  {f"ad_versions.{version}.frames.{beat}": _json(frame)}), field))

    async def record_version_master(self, generation_id: str, version: int, master: MasterSection) -> bool:
        """List a version's master; True while the version still renders (it may be announced)."""
        await self._set(generation_id, {f"ad_versions.{version}.master": _json(master)})
        return await self._update_where(generation_id, _rendering(version), {})

    async def record_version_exports(self, generation_id: str, version: int, exports: ExportsSection) -> None:
        await self._set(generation_id, {f"ad_versions.{version}.exports": _json(exports)})

    async def complete_version(self, generation_id: str, version: int, cost_usd: float) -> bool:
        """The version is the ad's newest: its state completed, the default download. Once."""
        return await self._update_where(
            generation_id, _rendering(version),
            {f"ad_versions.{version}.state": "completed", f"ad_versions.{version}.completed_at": now(),
             f"ad_versions.{version}.cost_usd": cost_usd, "latest_version": version, "rendering_version": 0})

    async def fail_version(self, generation_id: str, version: int, stage: Stage, reason: str, *,
                           retryable: bool = False, detail: str | None = None) -> bool:
        """The version could not be made (the ad stays at its previous version). Once."""
        error = ErrorInfo(stage=stage, reason=reason, retryable=retryable, detail=detail, at=now())
        return await self._update_where(
            generation_id, _rendering(version),
            {f"ad_versions.{version}.state": "failed", f"ad_versions.{version}.error": _json(error),
             "rendering_version": 0})

    async def versions_rendering_since(self, older_than: datetime, limit: int = 100) -> list[tuple[str, int]]:
        """(id, version) of versions rendering since before `older_than` (the version watchdog)."""
        cursor = self.collection.find({"status": "completed", "rendering_version": {"$gt": 0}},
                                      projection={"_id": 1, "rendering_version": 1, "ad_versions": 1}).limit(limit)
        found = []
        async for raw in cursor:
            n = int(raw.get("rendering_version") or 0)
            started = ((raw.get("ad_versions") or {}).get(str(n)) or {}).get("requested_at")
            if n and started is not None and _aware(started) < older_than:
                found.append((str(raw["_id"]), n))
        return found

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

    async def _add_to_set(self, generation_id: str, field: str, value: Any, sets: dict[str, Any], *,
                          whole: bool = False) -> dict[str, Any]:
        """$addToSet `value` to `field` and $set `sets` in one update; returns the document after it: `field`
        only, or `whole`."""
        raw = await self.collection.find_one_and_update(
            {"_id": generation_id},
            {"$addToSet": {field: value}, "$set": {**sets, "updated_at": now()}},
            projection=None if whole else {field: 1},
            return_document=ReturnDocument.AFTER,
        )
        if raw is None:
            raise KeyError(f"generation {generation_id} does not exist")
        return dict(raw)

    async def _fan_in(self, generation_id: str, field: str, value: Any,
                      sets: dict[str, Any]) -> tuple[int, GenerationDoc]:
        """A fan-in step: `_add_to_set` of the whole document; the count in `field` and the document it left."""
        raw = await self._add_to_set(generation_id, field, value, sets, whole=True)
        return len(members(raw, field)), GenerationDoc.from_mongo(raw)

    async def _update_where(self, generation_id: str, where: dict[str, Any], sets: dict[str, Any], *,
                            first: dict[str, Any] | None = None) -> bool:
        """$set `sets` only while the document matches `where` (a query on dotted paths with $in, $nin, $exists,
        $gt, $or); True when it matched. The conditional update behind every checkpoint, beat and version move."""
        update: dict[str, Any] = {"$set": {**sets, "updated_at": now()}}
        if first:
            update["$min"] = first
        result = await self.collection.update_one({"_id": generation_id, **where}, update)
        return result.matched_count == 1


def members(raw: dict[str, Any], field: str) -> list[Any]:
    """The array at dotted `field` of a raw document ([] when absent)."""
    node: Any = raw
    for part in field.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return list(node or [])


def _guarded(guard: Guard) -> dict[str, Any]:
    """The query of a guard: one of its plain statuses, or waiting at one of its checkpoints."""
    return {"$or": [{"status": {"$in": list(guard.statuses)}},
                    {"status": WAITING, "checkpoint": {"$in": list(guard.checkpoints)}}]}


def _chunking(version: int) -> str:
    return "chunking" if version <= 1 else f"ad_versions.{version}.chunking"


def _rendering(version: int) -> dict[str, Any]:
    return {f"ad_versions.{version}.state": "rendering"}


def _checkpoint_before(checkpoint: str) -> str:
    return next(c.before for c in PIPELINE.checkpoints if c.name == checkpoint)


def _aware(stamp: datetime | str) -> datetime:
    """A stored time (a BSON date, or an ISO string inside a section stored as JSON) as an aware datetime."""
    value = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return value if value.tzinfo else value.replace(tzinfo=UTC)
