"""Per-key request rate limit shared by every gateway replica, and the request-body size limit.

The request limit is GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): a key may burst
up to its per-minute limit and then goes on at limit/minute, one request every 60/limit seconds. The state is one
"theoretical arrival time" per key in MongoDB, moved forward with a compare-and-set, so N replicas behind a load
balancer enforce one limit together, and Retry-After is exact (never more than a minute). The concurrent-generation
limit, which protects the expensive pipeline, is counted from the generation documents instead.
"""

import math
import time
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from pymongo.errors import DuplicateKeyError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admint.core.mongo import Database

CAS_ATTEMPTS = 8
"""Compare-and-set rounds before a request that keeps losing the race to its own key's others is refused."""


def gcra(tat: float, now: float, window_s: float, limit: int) -> tuple[float, int | None]:
    """One request against the key's theoretical arrival time `tat`: (the new tat, None) when allowed, else
    (tat unchanged, whole seconds until one more request would be allowed)."""
    interval = window_s / limit
    after = max(tat, now) + interval
    late = after - now - window_s
    if late > 1e-9:
        return tat, max(1, math.ceil(round(late, 6)))
    return after, None


class SharedRateLimiter:
    def __init__(
        self, db: Database, window_s: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.collection = db.rate_limits
        self.window_s = window_s
        self.clock = clock  # wall-clock time: every replica must read the same timestamps
        self._swept = 0.0

    async def hit(self, key: str, limit: int) -> int | None:
        """Count one request; None when allowed, else the whole seconds until one more would be allowed."""
        await self._sweep()
        for _ in range(CAS_ATTEMPTS):
            now = self.clock()
            doc: dict[str, Any] | None = await self.collection.find_one({"_id": key})
            tat = float(doc["tat"]) if doc else 0.0
            after, retry_after = gcra(tat, now, self.window_s, limit)
            if retry_after is not None:
                return retry_after
            if doc is None:
                try:
                    await self.collection.insert_one({"_id": key, "tat": after})
                    return None
                except DuplicateKeyError:  # another request of this key came first: read again
                    continue
            result = await self.collection.update_one({"_id": key, "tat": doc["tat"]}, {"$set": {"tat": after}})
            if result.modified_count:
                return None
        return 1

    async def _sweep(self) -> None:
        """Now and then drop keys idle for a window: a key whose tat has passed is the same as a fresh one."""
        now = self.clock()
        if now - self._swept < self.window_s:
            return
        self._swept = now
        await self.collection.delete_many({"tat": {"$lt": now - self.window_s}})


class BodyLimitMiddleware:
    """413 for request bodies over a limit (per path, else a default): by Content-Length before reading, else while
    reading. Uploads are spooled by the multipart parser before a route sees them; this stops an oversized one
    early, and keeps a huge JSON body from ever being buffered.
    """

    def __init__(self, app: ASGIApp, default: int, limits: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.limits = limits

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
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
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
