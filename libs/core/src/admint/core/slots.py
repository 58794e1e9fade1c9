"""A concurrency limit shared by every replica: at most `capacity` holders of a name at once, cluster-wide.

The model registry gives each remote model a concurrency limit (what the provider account allows, what we want
to pay for at once). An asyncio.Semaphore enforces it per process only, so N autoscaled chunker replicas would run
N times as many predictions. Here each name has `capacity` lease documents in MongoDB; a holder takes a free or
expired one with one atomic update, renews it while it works and frees it when done. A replica that dies keeps
its slot only until the lease runs out (`lease_s`), so a crash never leaks capacity for good.
"""

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable

from pymongo.errors import DuplicateKeyError

from admint.core.mongo import Collection

log = logging.getLogger(__name__)


class SharedSlots:
    """Lease-based counting semaphores in one collection (`provider_slots`), one per name."""

    def __init__(
        self,
        collection: Collection,
        *,
        lease_s: float = 60.0,
        poll_s: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.collection = collection
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.clock = clock  # wall-clock time: every replica must read the same expiry
        self._ready: set[tuple[str, int]] = set()

    @contextlib.asynccontextmanager
    async def hold(self, name: str, capacity: int) -> AsyncIterator[None]:
        """Wait for one of `name`'s `capacity` slots, keep it (renewed) for the block, then free it."""
        token = uuid.uuid4().hex
        slot = await self._acquire(name, capacity, token)
        renewing = asyncio.create_task(self._renew(slot, token))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await asyncio.shield(
                self.collection.update_one({"_id": slot, "holder": token}, {"$set": {"holder": None, "expires_at": 0}})
            )

    async def _ensure(self, name: str, capacity: int) -> list[str]:
        """The slot documents of `name` (created free on first use; extra ones from a larger old capacity are
        simply never offered)."""
        ids = [f"{name}:{i}" for i in range(capacity)]
        if (name, capacity) not in self._ready:
            for slot in ids:
                with contextlib.suppress(DuplicateKeyError):  # another replica created it meanwhile
                    await self.collection.update_one(
                        {"_id": slot}, {"$setOnInsert": {"name": name, "holder": None, "expires_at": 0}}, upsert=True
                    )
            self._ready.add((name, capacity))
        return ids

    async def _acquire(self, name: str, capacity: int, token: str) -> str:
        ids = await self._ensure(name, capacity)
        waited = False
        while True:
            now = self.clock()
            doc = await self.collection.find_one_and_update(
                {"_id": {"$in": ids}, "expires_at": {"$lt": now}},
                {"$set": {"holder": token, "expires_at": now + self.lease_s}},
            )
            if doc is not None:
                return str(doc["_id"])
            if not waited:
                log.info("all %d slots of %s are taken; waiting", capacity, name, extra={"slots": name})
                waited = True
            await asyncio.sleep(self.poll_s * (0.5 + random.random()))

    async def _renew(self, slot: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            result = await self.collection.update_one(
                {"_id": slot, "holder": token}, {"$set": {"expires_at": self.clock() + self.lease_s}}
            )
            if result.matched_count == 0:
                log.warning("lease on %s lapsed while held (event loop stalled past %.0fs?)", slot, self.lease_s)
                return
