"""The audit log of admin actions (key created, key revoked): who, what, when, from where — kept in MongoDB's
`audit_log`, newest first, readable by the admin. Entries are only ever inserted."""

from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING

from admint.contracts.ids import new_id
from admint.core.mongo import Database


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.collection = db.audit_log

    async def record(self, action: str, *, actor: str, target: str, client: str | None,
                     details: dict[str, Any] | None = None) -> None:
        await self.collection.insert_one({
            "_id": new_id(), "at": datetime.now(UTC), "action": action, "actor": actor, "target": target,
            "client": client, "details": details or {},
        })

    async def page(self, *, before: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"_id": {"$lt": before}} if before else {}
        return [doc async for doc in self.collection.find(query).sort("_id", DESCENDING).limit(limit)]
