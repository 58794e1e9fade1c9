"""Request counts and latency per route template (a pure ASGI middleware, so SSE streams are not buffered)."""

import logging
import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("admint.gateway.access")
HTTP_REQUESTS = Counter(
    "admint_gateway_requests_total", "HTTP requests by route and status.", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "admint_gateway_request_seconds", "Time to the response headers, by route.", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GENERATIONS_ACCEPTED = Counter("admint_gateway_generations_accepted_total", "Generations accepted.")
RATE_LIMITED = Counter("admint_gateway_rate_limited_total", "Requests answered 429.", ["limit"])


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                route = scope.get("route")
                label = getattr(route, "path", "unmatched")
                HTTP_SECONDS.labels(scope["method"], label).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], route, str(status["code"])).inc()
            access.info("%s %s %s", scope["method"], scope.get("path"), status["code"], extra={
                "route": route, "status": status["code"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            })
GENERATIONS_ACTIVE = Gauge(
    "admint_generations_active", "Unfinished generations by status, all owners (queued = accepted, not yet "
    "planned: the queue depth). Counted when /metrics is scraped.", ["status"])
