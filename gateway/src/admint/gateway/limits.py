"""Per-key request rate limit shared by every gateway replica, and the request-body size limit.

The request limit is a sliding-window counter kept in MongoDB (one document per key and minute): the current
minute's count plus the previous minute's, weighted by how much of it the sliding window still covers. One atomic
`$inc` per request, so N replicas behind a load balancer enforce one limit together, and Retry-After says when
the next request would fit. The concurrent-generation limit, which protects the expensive pipeline, is counted
from the generation documents instead.
"""

import math
import time
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ReturnDocument
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def sliding_count(previous: int, current: int, elapsed_s: float, window_s: float) -> float:
    """Requests in the sliding window ending now, assuming the previous window's were spread evenly."""
    return previous * (1 - elapsed_s / window_s) + current


def retry_after_s(previous: int, current: int, elapsed_s: float, window_s: float, limit: int) -> int:
    """Whole seconds until one more request fits (`current` excludes the refused request)."""
    room = limit - 1
    if current <= room and previous > 0:  # within this window, once the previous one's weight has decayed
        wait = window_s * (1 - (room - current) / previous) - elapsed_s
    else:  # in the next window, once this window's weight has decayed
        wait = window_s - elapsed_s + window_s * (1 - room / max(current, 1))
    return max(1, math.ceil(round(wait, 6)))  # round: 60 * (1 - 2 / 3) is 20.000000000000004


class SharedRateLimiter:
    def __init__(
        self, db: AsyncIOMotorDatabase, window_s: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.collection = db.rate_limits
        self.window_s = window_s
        self.clock = clock  # wall-clock time: every replica must agree on where a window starts
        self._swept = -1

    async def hit(self, key: str, limit: int) -> int | None:
        """Count one request; None when allowed, else the whole seconds until one more would be allowed."""
        now = self.clock()
        window = int(now // self.window_s)
        elapsed = now - window * self.window_s
        doc: dict[str, Any] = await self.collection.find_one_and_update(
            {"_id": f"{key}:{window}"}, {"$inc": {"n": 1}, "$setOnInsert": {"window": window}},
            upsert=True, return_document=ReturnDocument.AFTER,
        )
        before = await self.collection.find_one({"_id": f"{key}:{window - 1}"})
        previous, current = int(before["n"]) if before else 0, int(doc["n"])
        await self._sweep(window)
        if sliding_count(previous, current, elapsed, self.window_s) <= limit:
            return None
        # a refused request does not count against the key
        await self.collection.update_one({"_id": f"{key}:{window}"}, {"$inc": {"n": -1}})
        return retry_after_s(previous, current - 1, elapsed, self.window_s, limit)

    async def _sweep(self, window: int) -> None:
        """Once per window and replica, drop the counters no sliding window reaches any more."""
        if window == self._swept:
            return
        self._swept = window
        await self.collection.delete_many({"window": {"$lt": window - 1}})


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
