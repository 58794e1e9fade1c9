"""The retention policy: a generation's intermediates (frames, chunks, music) go N hours after it ended, its
finished videos M days after (both off unless configured). Also re-sweeps recently deleted generations, whose
in-flight work may have stored an object after the owner's DELETE.

Safe with several replicas: each (generation, kind) is claimed for a lease by a conditional update before its
objects are removed, and removing an object twice is harmless anyway.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter

from admint.core import keys
from admint.core.docstore import GenerationRepository, RetentionKind, now
from admint.core.stores import ObjectStore

log = logging.getLogger(__name__)
OBJECTS_REMOVED = Counter("admint_retention_objects_deleted_total", "Objects removed by retention.", ["kind"])
LEASE_S = 600.0
STRAGGLERS_S = 3600.0
"""How long after a DELETE the sweep still looks for objects written by work that was in flight."""


def is_finished_video(generation_id: str, key: str) -> bool:
    """The master and the exports (renditions, poster, thumbnail) are the finished output; the rest is work."""
    return key == keys.master_key(generation_id) or key.startswith(keys.generation_prefix(generation_id) + "exports/")


def doomed(generation_id: str, kind: RetentionKind, stored: list[str]) -> list[str]:
    if kind == "videos":
        return stored
    return [k for k in stored if not is_finished_video(generation_id, k)]


async def purge(blobs: ObjectStore, generation_id: str, kind: RetentionKind | None = None) -> int:
    """Remove the generation's objects of `kind` (every object under its prefix when None); returns how many."""
    stored = await blobs.list_keys(keys.generation_prefix(generation_id))
    victims = stored if kind is None else doomed(generation_id, kind, stored)
    for key in victims:
        await blobs.delete(key)
    return len(victims)


@dataclass(frozen=True)
class RetentionPolicy:
    intermediates_h: float | None
    videos_days: float | None
    interval_s: float

    def ages(self) -> dict[RetentionKind, timedelta]:
        out: dict[RetentionKind, timedelta] = {}
        if self.intermediates_h:
            out["intermediates"] = timedelta(hours=self.intermediates_h)
        if self.videos_days:
            out["videos"] = timedelta(days=self.videos_days)
        return out


async def sweep_once(docs: GenerationRepository, blobs: ObjectStore, policy: RetentionPolicy) -> dict[str, int]:
    """One pass; returns objects removed per kind (and of deleted generations)."""
    removed: dict[str, int] = {}
    for kind, age in policy.ages().items():
        for gid in await docs.retention_due(kind, now() - age):
            if not await docs.claim_retention(gid, kind, LEASE_S):
                continue  # another replica has it
            count = await purge(blobs, gid, kind)
            await docs.retention_done(gid, kind, count)
            OBJECTS_REMOVED.labels(kind).inc(count)
            removed[kind] = removed.get(kind, 0) + count
            log.info("retention removed %d %s objects", count, kind, extra={"generation_id": gid})
    for gid in await docs.deleted_since(now() - timedelta(seconds=STRAGGLERS_S)):
        count = await purge(blobs, gid)
        if count:
            OBJECTS_REMOVED.labels("deleted").inc(count)
            removed["deleted"] = removed.get("deleted", 0) + count
            log.info("removed %d objects stored after the deletion", count, extra={"generation_id": gid})
    return removed


async def run_retention(docs: GenerationRepository, blobs: ObjectStore, policy: RetentionPolicy) -> None:
    while True:
        try:
            await sweep_once(docs, blobs, policy)
        except Exception as exc:
            log.warning("retention sweep failed: %s", exc)
        await asyncio.sleep(policy.interval_s)
