"""MongoDB repositories of webhook endpoints and deliveries (the field paths of those collections live here).

Every owner-facing method takes the owner, so one key never reaches another's endpoints. Deliveries are a
work queue: `claim_due` takes the oldest due one for a lease (an atomic find-and-update, so replicas never
attempt the same delivery at once, and one whose notifier died is taken again when its lease ends).
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from admint.core.docstore import now
from admint.core.mongo import Database
from admint.core.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    SigningSecret,
    WebhookEndpoint,
    new_secret,
    request_endpoint_id,
)


def _mongo(model: Any) -> dict[str, Any]:
    raw: dict[str, Any] = model.model_dump(mode="python", by_alias=True, exclude_none=True)
    return raw


class EndpointRepository:
    def __init__(self, db: Database) -> None:
        self.collection = db.webhook_endpoints

    async def create(self, endpoint: WebhookEndpoint) -> None:
        await self.collection.insert_one(_mongo(endpoint))

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        raw = await self.collection.find_one({"_id": endpoint_id})
        return WebhookEndpoint.model_validate(raw) if raw else None

    async def get_owned(self, owner: str, endpoint_id: str) -> WebhookEndpoint | None:
        raw = await self.collection.find_one({"_id": endpoint_id, "owner": owner})
        return WebhookEndpoint.model_validate(raw) if raw else None

    async def list_owned(self, owner: str) -> list[WebhookEndpoint]:
        cursor = self.collection.find({"owner": owner, "kind": "endpoint"}).sort("_id", ASCENDING).limit(1000)
        return [WebhookEndpoint.model_validate(raw) async for raw in cursor]

    async def count_owned(self, owner: str) -> int:
        return int(await self.collection.count_documents({"owner": owner, "kind": "endpoint"}))

    async def matching(self, owner: str, webhook_type: str) -> list[WebhookEndpoint]:
        """The owner's enabled endpoints that want this type (an empty list of types means every type)."""
        return [e for e in await self.list_owned(owner) if e.wants(webhook_type)]

    async def update(self, owner: str, endpoint_id: str, sets: dict[str, Any]) -> WebhookEndpoint | None:
        """Change url, event_types, enabled or description; enabling clears the disabled reason and the streak."""
        update: dict[str, Any] = {"$set": {**sets, "updated_at": now()}}
        if sets.get("enabled") is True:
            update["$set"]["consecutive_failures"] = 0
            update["$unset"] = {"disabled_reason": "", "disabled_at": "", "failing_since": ""}
        raw = await self.collection.find_one_and_update(
            {"_id": endpoint_id, "owner": owner, "kind": "endpoint"}, update, return_document=ReturnDocument.AFTER)
        return WebhookEndpoint.model_validate(raw) if raw else None

    async def delete(self, owner: str, endpoint_id: str) -> bool:
        result = await self.collection.delete_one({"_id": endpoint_id, "owner": owner, "kind": "endpoint"})
        return result.deleted_count == 1

    async def rotate(self, endpoint: WebhookEndpoint, secret: str, overlap_s: float) -> WebhookEndpoint | None:
        """Sign with `secret` from now on; the secrets signing until now keep signing for `overlap_s` more."""
        stamp = now()
        until = stamp + timedelta(seconds=overlap_s)
        kept = [SigningSecret(secret=s.secret, created_at=s.created_at,
                              expires_at=min(s.expires_at, until) if s.expires_at else until)
                for s in endpoint.secrets if s.expires_at is None or s.expires_at > stamp]
        secrets = [SigningSecret(secret=secret, created_at=stamp), *(s for s in kept if overlap_s > 0)]
        raw = await self.collection.find_one_and_update(
            {"_id": endpoint.id, "owner": endpoint.owner, "updated_at": endpoint.updated_at},
            {"$set": {"secrets": [_mongo(s) for s in secrets], "updated_at": stamp}},
            return_document=ReturnDocument.AFTER,
        )
        return WebhookEndpoint.model_validate(raw) if raw else None

    async def request_endpoint(self, owner: str, *, create: bool = False) -> WebhookEndpoint | None:
        """The owner's pseudo-endpoint of per-request callbacks; made (with a first secret) when asked to."""
        found = await self.get(request_endpoint_id(owner))
        if found is not None or not create:
            return found
        stamp = now()
        endpoint = WebhookEndpoint(_id=request_endpoint_id(owner), owner=owner, kind="request",
                                   description="callbacks named per request (webhook_url)",
                                   secrets=[SigningSecret(secret=new_secret(), created_at=stamp)],
                                   created_at=stamp, updated_at=stamp)
        try:
            await self.create(endpoint)
        except DuplicateKeyError:
            pass  # a concurrent request made it
        return await self.get(request_endpoint_id(owner))

    async def record_success(self, endpoint_id: str) -> None:
        await self.collection.update_one({"_id": endpoint_id}, {"$set": {"consecutive_failures": 0},
                                                               "$unset": {"failing_since": ""}})

    async def record_failure(self, endpoint_id: str, reason: str, *, min_failures: int, after_s: float) -> bool:
        """Count a failed attempt; disable the endpoint when it has failed `min_failures` times in a row over at
        least `after_s` seconds. True when this call disabled it (per-request pseudo-endpoints never are)."""
        stamp = now()
        await self.collection.update_one({"_id": endpoint_id}, {"$inc": {"consecutive_failures": 1},
                                                               "$min": {"failing_since": stamp}})
        result = await self.collection.update_one(
            {"_id": endpoint_id, "kind": "endpoint", "enabled": True,
             "consecutive_failures": {"$gte": min_failures},
             "failing_since": {"$lte": stamp - timedelta(seconds=after_s)}},
            {"$set": {"enabled": False, "disabled_at": stamp, "updated_at": stamp, "disabled_reason": reason}},
        )
        return result.matched_count == 1


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self.collection = db.webhook_deliveries

    async def enqueue(self, delivery: Delivery) -> bool:
        """Insert a new delivery; False when it exists already (the same event enqueued again)."""
        try:
            await self.collection.insert_one(_mongo(delivery))
        except DuplicateKeyError:
            return False
        return True

    async def claim_due(self, lease_s: float) -> Delivery | None:
        """The oldest due pending delivery, leased to the caller for `lease_s` (None when nothing is due)."""
        stamp = now()
        raw = await self.collection.find_one_and_update(
            {"status": "pending", "due_at": {"$lte": stamp}},
            {"$set": {"due_at": stamp + timedelta(seconds=lease_s)}},
            sort=[("due_at", ASCENDING)], return_document=ReturnDocument.AFTER,
        )
        return Delivery.model_validate(raw) if raw else None

    async def next_due(self) -> datetime | None:
        raw = await self.collection.find_one({"status": "pending"}, projection={"due_at": 1},
                                             sort=[("due_at", ASCENDING)])
        return raw["due_at"] if raw else None

    async def record_attempt(self, delivery_id: str, attempt: Attempt, status: DeliveryStatus,
                             due_at: datetime | None = None, final_error: str | None = None) -> None:
        sets: dict[str, Any] = {"status": status, "updated_at": now()}
        if due_at is not None:
            sets["due_at"] = due_at
        if final_error is not None:
            sets["final_error"] = final_error
        await self.collection.update_one({"_id": delivery_id},
                                         {"$set": sets, "$push": {"attempts": _mongo(attempt)}})

    async def give_up(self, delivery_id: str, reason: str) -> None:
        """End a pending delivery without an attempt (its endpoint is gone or disabled)."""
        await self.collection.update_one({"_id": delivery_id, "status": "pending"},
                                         {"$set": {"status": "failed", "final_error": reason, "updated_at": now()}})

    async def page(self, owner: str, endpoint_id: str, *, status: str | None = None, before: str | None = None,
                   limit: int = 20, generation_id: str | None = None) -> list[Delivery]:
        query: dict[str, Any] = {"owner": owner, "endpoint_id": endpoint_id}
        if status:
            query["status"] = status
        if generation_id:
            query["generation_id"] = generation_id
        if before:
            query["_id"] = {"$lt": before}
        cursor = self.collection.find(query).sort("_id", DESCENDING).limit(limit)
        return [Delivery.model_validate(raw) async for raw in cursor]

    async def of_generation(self, generation_id: str) -> list[Delivery]:
        cursor = self.collection.find({"generation_id": generation_id}).sort("created_at", ASCENDING)
        return [Delivery.model_validate(raw) async for raw in cursor]

    async def get_owned(self, owner: str, endpoint_id: str, delivery_id: str) -> Delivery | None:
        raw = await self.collection.find_one({"_id": delivery_id, "owner": owner, "endpoint_id": endpoint_id})
        return Delivery.model_validate(raw) if raw else None

    async def redeliver(self, owner: str, endpoint_id: str, delivery_id: str) -> Delivery | None:
        """Send a finished delivery again now, with the same webhook-id and body; None unless it had finished."""
        stamp = now()
        raw = await self.collection.find_one_and_update(
            {"_id": delivery_id, "owner": owner, "endpoint_id": endpoint_id, "status": {"$ne": "pending"}},
            {"$set": {"status": "pending", "due_at": stamp, "updated_at": stamp}, "$unset": {"final_error": ""},
             "$inc": {"redeliveries": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return Delivery.model_validate(raw) if raw else None

    async def forget_generation(self, generation_id: str) -> int:
        """A deleted generation's recorded payloads go with it (they hold its events)."""
        result = await self.collection.delete_many({"generation_id": generation_id, "status": {"$ne": "pending"}})
        return int(result.deleted_count)
