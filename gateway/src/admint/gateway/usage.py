"""Usage: generations by outcome, seconds of video and spend by stage and model, per UTC day — for one owner
(GET /v1/usage) or all (GET /v1/admin/usage) — and the per-key counts the quotas need.

Read from the generation documents (a projection of the few fields needed), so usage and the documents can
never disagree; deleted generations keep their outcome, duration and costs, and are counted too.
"""

from collections import defaultdict
from datetime import date as Day
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from admint.core.mongo import Database

_FIELDS = {"owner": 1, "status": 1, "created_at": 1, "costs": 1, "master.duration_s": 1, "deletion.requested_at": 1}


class Totals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    generations: int = Field(default=0, description="Generations created.", ge=0)
    by_outcome: dict[str, int] = Field(default_factory=dict,
                                       description="By status now: completed, failed, cancelled, or still running.")
    deleted: int = Field(default=0, description="Of those, deleted by their owner since.", ge=0)
    video_seconds: float = Field(default=0.0, description="Seconds of finished video (completed generations).")
    cost_usd: float = Field(default=0.0, description="Recorded provider spend, USD.")
    cost_by_stage: dict[str, float] = Field(default_factory=dict, description="Spend by stage, USD.")
    cost_by_model: dict[str, float] = Field(default_factory=dict, description="Spend by model, USD.")

    def add(self, raw: dict[str, Any]) -> None:
        self.generations += 1
        status = str(raw.get("status", "queued"))
        self.by_outcome[status] = self.by_outcome.get(status, 0) + 1
        self.deleted += bool(raw.get("deletion"))
        if status == "completed":
            self.video_seconds = round(self.video_seconds + float((raw.get("master") or {}).get("duration_s") or 0), 3)
        for entry in (raw.get("costs") or {}).values():
            usd = float(entry.get("usd") or 0)
            self.cost_usd = round(self.cost_usd + usd, 6)
            stage, model = str(entry.get("stage", "?")), str(entry.get("model", "?"))
            self.cost_by_stage[stage] = round(self.cost_by_stage.get(stage, 0.0) + usd, 6)
            self.cost_by_model[model] = round(self.cost_by_model.get(model, 0.0) + usd, 6)


class DayUsage(Totals):
    date: Day = Field(description="UTC day the generations were created.")


class OwnerUsage(Totals):
    owner: str = Field(description="Owner.")


class UsageReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime = Field(alias="from", description="Start of the range (inclusive, UTC).")
    end: datetime = Field(alias="to", description="End of the range (exclusive, UTC).")
    totals: Totals = Field(description="The whole range.")
    days: list[DayUsage] = Field(description="Per UTC day with at least one generation, oldest first.")
    owners: list[OwnerUsage] | None = Field(default=None, description="Per owner (admin report only).")


class UsageQueries:
    def __init__(self, db: Database) -> None:
        self.collection = db.generations

    async def report(self, start: datetime, end: datetime, owner: str | None = None) -> UsageReport:
        query: dict[str, Any] = {"created_at": {"$gte": start, "$lt": end}}
        if owner is not None:
            query["owner"] = owner
        totals = Totals()
        days: dict[Day, DayUsage] = {}
        owners: dict[str, OwnerUsage] = defaultdict(lambda: OwnerUsage(owner=""))
        async for raw in self.collection.find(query, projection=_FIELDS):
            totals.add(raw)
            day = raw["created_at"].date()
            days.setdefault(day, DayUsage(date=day)).add(raw)
            who = owners[str(raw.get("owner", ""))]
            who.owner = str(raw.get("owner", ""))
            who.add(raw)
        return UsageReport.model_validate({
            "from": start, "to": end, "totals": totals, "days": [days[d] for d in sorted(days)],
            "owners": sorted(owners.values(), key=lambda o: o.owner) if owner is None else None,
        })

    async def created_by_key(self, key_id: str, since: datetime) -> int:
        return int(await self.collection.count_documents({"request.key_id": key_id, "created_at": {"$gte": since}}))

    async def spent_by_key(self, key_id: str, since: datetime) -> float:
        total = 0.0
        async for raw in self.collection.find({"request.key_id": key_id, "created_at": {"$gte": since}},
                                              projection={"costs": 1}):
            total += sum(float(e.get("usd") or 0) for e in (raw.get("costs") or {}).values())
        return round(total, 6)
