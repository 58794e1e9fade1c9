"""Per-key request rate limit: a sliding one-minute window, so Retry-After is exact rather than a guess.

Counted per gateway process (each replica enforces the limit on the requests it sees); the concurrent-generation
limit, which protects the expensive pipeline, is counted from the shared documents instead.
"""

import math
import time
from collections import deque
from collections.abc import Callable

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RateLimiter:
    def __init__(self, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self.hits: dict[str, deque[float]] = {}
        self._last_sweep = clock()

    def hit(self, key: str, limit: int) -> int | None:
        """Count one request; None when allowed, else the whole seconds until one more would be allowed."""
        now = self.clock()
        self._sweep(now)
        window = self.hits.setdefault(key, deque())
        while window and window[0] <= now - self.window_s:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + self.window_s - now))
        window.append(now)
        return None

    def _sweep(self, now: float) -> None:
        """Forget idle keys now and then, so memory follows active keys only."""
        if now - self._last_sweep < self.window_s:
            return
        self._last_sweep = now
        for key in [k for k, w in self.hits.items() if not w or w[-1] <= now - self.window_s]:
            del self.hits[key]


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
