"""API keys: made once, shown once, stored only as a sha256 hash in the `api_keys` collection.

A key belongs to one owner; every /v1 resource is scoped to that owner (others' resources answer 404).
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from admint.contracts.ids import new_id
from admint.core.docstore import now
from admint.core.mongo import Database

KEY_PREFIX = "admk_"


def new_api_key() -> str:
    """`admk_` + 256 random bits, URL-safe: long enough that hashing without salt is sound."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Principal:
    """Who is calling, and the limits that apply to them."""

    key_id: str
    owner: str
    max_active_generations: int
    rate_limit_per_minute: int
    generations_per_day: int | None = None
    """Quota of generations per UTC day (None: no quota)."""
    spend_per_month_usd: float | None = None
    """Quota of provider spend per UTC month, USD (None: no quota)."""


class ApiKeyRepository:
    def __init__(self, db: Database, *, remember_s: float = 5.0, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.collection = db.api_keys
        self.remember_s = remember_s
        """A key that was just found is trusted this long without asking the database again (every request
        authenticates: at hundreds a second that lookup was a third of the database load). A key revoked on
        this gateway stops at once; on another replica within this many seconds."""
        self.clock = clock
        self._known: dict[str, tuple[float, dict[str, Any]]] = {}

    async def create(
        self,
        owner: str,
        name: str = "",
        *,
        max_active_generations: int | None = None,
        rate_limit_per_minute: int | None = None,
        plaintext: str | None = None,
        generations_per_day: int | None = None,
        spend_per_month_usd: float | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Store a new key; returns (plaintext, record). The plaintext is never stored or shown again."""
        plaintext = plaintext or new_api_key()
        record = {
            "_id": new_id(),
            "key_hash": hash_key(plaintext),
            "prefix": plaintext[: len(KEY_PREFIX) + 6],
            "owner": owner,
            "name": name,
            "created_at": now(),
            "revoked_at": None,
            "max_active_generations": max_active_generations,
            "rate_limit_per_minute": rate_limit_per_minute,
            "generations_per_day": generations_per_day,
            "spend_per_month_usd": spend_per_month_usd,
        }
        await self.collection.insert_one(record)
        return plaintext, record

    async def ensure(self, plaintext: str, owner: str, name: str) -> bool:
        """Make sure a known key exists (the development key); True when it was created now."""
        if await self.collection.find_one({"key_hash": hash_key(plaintext)}) is not None:
            return False
        try:
            await self.create(owner, name, plaintext=plaintext)
        except DuplicateKeyError:  # another gateway replica won the race
            return False
        return True

    async def lookup(self, plaintext: str) -> dict[str, Any] | None:
        digest = hash_key(plaintext)
        known = self._known.get(digest)
        if known is not None and self.clock() - known[0] < self.remember_s:
            return known[1]
        doc: dict[str, Any] | None = await self.collection.find_one({"key_hash": digest, "revoked_at": None})
        if doc is None:
            self._known.pop(digest, None)
        else:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[digest] = (self.clock(), doc)
        return doc

    async def list_keys(self, owner: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"owner": owner} if owner else {}
        return [doc async for doc in self.collection.find(query).sort("_id", DESCENDING).limit(1000)]

    async def revoke(self, key_id: str, at: datetime | None = None) -> bool:
        result = await self.collection.update_one(
            {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": at or now()}}
        )
        self._known = {d: k for d, k in self._known.items() if str(k[1]["_id"]) != key_id}
        return result.matched_count == 1


def principal_of(record: dict[str, Any], default_active: int, default_rate: int, *,
                 default_per_day: int | None = None, default_per_month_usd: float | None = None) -> Principal:
    per_day = record.get("generations_per_day") or default_per_day
    per_month = record.get("spend_per_month_usd") or default_per_month_usd
    return Principal(
        key_id=str(record["_id"]),
        owner=str(record["owner"]),
        max_active_generations=int(record.get("max_active_generations") or default_active),
        rate_limit_per_minute=int(record.get("rate_limit_per_minute") or default_rate),
        generations_per_day=int(per_day) if per_day else None,
        spend_per_month_usd=float(per_month) if per_month else None,
    )
