"""Per-key request rate limit shared by every gateway replica, and the request-body size limit.

The request limit is GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): a key may burst
up to its per-minute limit and then goes on at limit/minute, one request every 60/limit seconds. The state is one
"theoretical arrival time" per key in MongoDB, moved forward by one atomic conditional update, so N replicas
behind a load balancer enforce one limit together, and Retry-After is exact (never more than a minute). The
concurrent-generation limit, which protects the expensive pipeline, is counted from the generation documents.
"""

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from pymongo import ReturnDocument, WriteConcern
from pymongo.errors import DuplicateKeyError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admint.core.mongo import Database

log = logging.getLogger(__name__)

NS = 1_000_000_000

RACE_ATTEMPTS = 8
"""Rounds of "read again" for a request whose key changed under it (created or swept by another request). The
limit is applied by one atomic conditional update, so a request never loses a race to its key's others; these
rounds only cover a document appearing or vanishing between two reads, which never repeats for long."""


def gcra(tat: int, now: int, window: int, limit: int) -> tuple[int, int | None]:
    """One request against the key's theoretical arrival time `tat`: (the new tat, None) when allowed, else
    (tat unchanged, whole seconds until one more request would be allowed — at most the window).

    Times are integer nanoseconds. In float seconds near 1.7e9, each `tat + interval` rounds by up to ~1e-7 s,
    and a burst lost its last request to that (a key limited to 9 or 50 a minute got 8 or 49). With integers
    and interval = window // limit, limit·interval <= window < (limit + 1)·interval for every limit up to
    ~245 000 a minute: a burst gets exactly the limit, and the steady rate is the limit within 0.2 a minute.
    """
    interval = window // limit
    ceiling = _ceiling(now, window, interval)
    if tat > ceiling:  # at most one interval to wait, unless replicas' clocks disagree
        return tat, min(-(-window // NS), max(1, -(-(tat - ceiling) // NS)))
    return max(tat, now) + interval, None


def _ceiling(now: int, window: int, interval: int) -> int:
    """The latest theoretical arrival time at which one more request is still allowed at `now`.

    Allowed iff max(tat, now) + interval <= now + window; as interval <= window, that is tat <= this ceiling.
    The database filter and `gcra` use this one expression, so they always agree.
    """
    return now + window - interval


LEASE_TTL_S = 0.25
"""How long cells taken ahead for a busy key stay usable on this replica (and the window its demand is counted in)."""
LEASE_SHARE = 8
"""A lease never takes more than this fraction (1/8) of the room left in the shared bucket."""


@dataclass
class _Lease:
    """Cells of one key taken ahead from the shared bucket by this replica, and the key's recent demand here."""

    cells: int = 0
    expires: int = 0
    window_start: int = 0
    seen: int = 0
    demand: int = 0
    """Hits of the key on this replica in the last whole LEASE_TTL_S window (`seen`: so far in this one)."""
    room: int = 0
    """Cells left in the shared bucket after this replica's last update of it."""
    fetching: "asyncio.Future[None] | None" = None

    def count(self, now: int, ttl: int) -> None:
        if now - self.window_start >= ttl:
            self.demand = self.seen if now - self.window_start < 2 * ttl else 0
            self.window_start, self.seen = now, 0
        self.seen += 1

    def take(self, now: int) -> bool:
        if self.cells > 0 and now < self.expires:
            self.cells -= 1
            return True
        return False


class SharedRateLimiter:
    """GCRA with the state in MongoDB, one document {_id: key, tat: int nanoseconds} per key.

    A request is allowed by one conditional update, "tat <= ceiling ⇒ tat = max(tat, now) + interval", which
    the server applies atomically: concurrent requests of a key are serialised there, so exactly `limit` of a
    burst pass and the others see a full bucket. (A read-then-compare-and-set loop instead makes racing
    requests fail each other's CAS; refusing after a few lost rounds turned 100 concurrent requests of a
    100 000/min key into 85 refusals — issue 17.) Only a refused request reads the document, for its exact
    Retry-After.

    A busy key does not pay a database round trip per request (issue 16: at 500 requests a second it was a
    quarter of the gateway's CPU): when a key made several requests on this replica in the last LEASE_TTL_S and
    the shared bucket has plenty of room, one update takes that many cells at once (never more than 1/8 of the
    room), and the next requests spend them locally for up to LEASE_TTL_S. Near the limit a lease shrinks to one
    cell, so a burst still gets exactly `limit` across replicas and Retry-After stays exact. Cells a replica
    took and did not use are lost (the limit only ever errs strict); a replica may admit at most its lease,
    taken in the last LEASE_TTL_S, ahead of the shared count.
    """

    def __init__(
        self, db: Database, window_s: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        # not `rate_limits`: that holds float seconds, which replicas of the previous version still read and
        # write while a rollout is under way; two collections keep the two formats from misreading each other
        # not journaled: a request's budget is no data worth an fsync per request (the generations are); a
        # server crash forgets at most the last moment of counting, which only ever lets a key through
        self.collection = db.request_rates.with_options(write_concern=WriteConcern(w=1, j=False))
        self.window = round(window_s * NS)
        self.clock = clock  # wall-clock seconds: every replica must read the same timestamps
        self._swept = 0
        self._ttl = round(LEASE_TTL_S * NS)
        self._leases: dict[str, _Lease] = {}
        self.round_trips = 0
        """Updates of the shared bucket made by this replica (what leases save)."""

    def _now(self) -> int:
        return round(self.clock() * NS)

    async def hit(self, key: str, limit: int) -> int | None:
        """Count one request; None when allowed, else the whole seconds until one more would be allowed."""
        await self._sweep()
        lease = self._lease(key)
        lease.count(self._now(), self._ttl)
        while True:
            now = self._now()
            if lease.take(now):
                return None
            if lease.fetching is not None:  # another request of this key is taking a lease: share it
                await asyncio.shield(lease.fetching)
                continue
            size = min(max(lease.demand, lease.seen), lease.room // LEASE_SHARE)
            if size <= 1:
                return await self._hit_one(key, limit, lease)
            lease.fetching = asyncio.get_running_loop().create_future()
            try:
                tat = await self._take(key, limit, size, now)
            finally:
                lease.fetching.set_result(None)
                lease.fetching = None
            if tat is None:  # the room went to other replicas meanwhile: one cell at a time again
                lease.room = 0
                continue
            lease.cells, lease.expires = size - 1, now + self._ttl
            lease.room = self._room(tat, now, limit)
            return None

    def _lease(self, key: str) -> _Lease:
        lease = self._leases.get(key)
        if lease is None:
            if len(self._leases) > 10_000:
                self._leases.clear()
            lease = self._leases[key] = _Lease()
        return lease

    def _room(self, tat: int, now: int, limit: int) -> int:
        interval = self.window // limit
        return max(0, (now + self.window - max(tat, now)) // interval)

    async def _take(self, key: str, limit: int, cells: int, now: int) -> int | None:
        """Take `cells` cells at once if they all fit; the new tat, or None when they do not."""
        interval = self.window // limit
        self.round_trips += 1
        doc = await self.collection.find_one_and_update(
            {"_id": key, "tat": {"$lte": _ceiling(now, self.window, cells * interval)}},
            [{"$set": {"tat": {"$add": [{"$max": ["$tat", now]}, cells * interval]}}}],
            projection={"tat": 1}, return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else int(doc["tat"])

    async def _hit_one(self, key: str, limit: int, lease: _Lease) -> int | None:
        """One cell, one atomic update (the exact path: new keys, quiet keys, keys near their limit)."""
        interval = self.window // limit
        for attempt in range(RACE_ATTEMPTS):
            now = self._now()
            tat = await self._take(key, limit, 1, now)
            if tat is not None:
                lease.room = self._room(tat, now, limit)
                return None
            doc: dict[str, Any] | None = await self.collection.find_one({"_id": key})
            if doc is None:
                try:
                    await self.collection.insert_one({"_id": key, "tat": now + interval})
                    lease.room = limit - 1
                    return None
                except DuplicateKeyError:
                    pass  # another request of this key created it first: a race, not a refusal
            else:
                retry_after = gcra(int(doc["tat"]), now, self.window, limit)[1]
                if retry_after is not None:
                    lease.room = 0
                    return retry_after
                # allowed by what we read now: the document changed between the two steps (swept and created
                # again); go again
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        log.warning("rate limit of key %s undecided after %d rounds: allowed", key, RACE_ATTEMPTS)
        return None  # a race is never a refusal; the limit holds again at the key's next request

    async def _sweep(self) -> None:
        """Now and then drop keys idle for a window: a key whose tat has passed is the same as a fresh one."""
        now = self._now()
        if now - self._swept < self.window:
            return
        self._swept = now
        await self.collection.delete_many({"tat": {"$lt": now - self.window}})


class BodyLimitMiddleware:
    """413 for request bodies over a limit (per path, else a default): by Content-Length before reading, else while
    reading. Uploads are spooled by the multipart parser before a route sees them; this stops an oversized one
    early, and keeps a huge JSON body from ever being buffered.
    """

    def __init__(self, app: ASGIApp, default: int, limits: dict[str, int], body_timeout_s: float = 30.0) -> None:
        self.app = app
        self.default = default
        self.limits = limits
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.get(scope.get("path", ""), self.default) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            if int(declared) <= DRAIN_LIMIT:  # read and drop it, so the client sees the answer, not a reset
                await _drain(receive)
            response = JSONResponse(_too_large(scope["path"], limit), status_code=413,
                                    media_type="application/problem+json", headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        seen, body_done = 0, False

        async def counting_receive() -> Message:
            nonlocal seen, body_done
            if body_done:  # after the body only a disconnect comes (an SSE stream waits on it): no deadline
                return await receive()
            try:  # a client that trickles its body (slowloris) must not hold a worker for good
                message = await asyncio.wait_for(receive(), self.body_timeout_s)
            except TimeoutError:
                raise HTTPException(408, f"the request body did not arrive within {self.body_timeout_s:g}s") from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if seen > limit:
                    raise HTTPException(413, f"request body is larger than {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)


DRAIN_LIMIT = 64 * 1024 * 1024
"""Oversized bodies up to this size are read and discarded before the 413; bigger ones get the connection closed."""


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


def _too_large(path: str, limit: int) -> dict[str, object]:
    return {"type": "/problems/too-large", "title": "Content Too Large", "status": 413,
            "detail": f"request body is larger than {limit} bytes", "instance": path, "limit_bytes": limit}


class StreamCounter:
    """Open SSE streams per key in this gateway process: a key may hold at most its cap at once, so one client
    cannot exhaust the process's connections. (Per replica: N replicas allow N × the cap; the ingress spreads a
    key's streams.)"""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def acquire(self, key_id: str, cap: int) -> bool:
        if self.open.get(key_id, 0) >= cap:
            return False
        self.open[key_id] = self.open.get(key_id, 0) + 1
        return True

    def release(self, key_id: str) -> None:
        left = self.open.get(key_id, 0) - 1
        if left > 0:
            self.open[key_id] = left
        else:
            self.open.pop(key_id, None)
