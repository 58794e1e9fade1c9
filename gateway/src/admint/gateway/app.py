"""The composition root: FastAPI app whose lifespan owns the NATS connection, MongoDB and S3."""

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from nats.errors import Error as NatsError
from pymongo.errors import PyMongoError

from admint.core.blobstore import BlobStore
from admint.core.bus import EventPublisher, ensure_stream, make_broker
from admint.core.docstore import GenerationRepository, ensure_indexes
from admint.core.errors import TransientError
from admint.core.mongo import connect
from admint.core.service import retry_until_ready
from admint.core.tracing import enabled as tracing_enabled
from admint.core.tracing import setup_tracing, shutdown_tracing
from admint.core.webhookstore import DeliveryRepository, EndpointRepository
from admint.gateway.audit import AuditLog
from admint.gateway.auth import ApiKeyRepository
from admint.gateway.config import GatewaySettings
from admint.gateway.events import declare_publishers
from admint.gateway.groups import GroupRepository
from admint.gateway.limits import BodyLimitMiddleware, SharedRateLimiter
from admint.gateway.metrics import MetricsMiddleware
from admint.gateway.openapi_docs import complete, operation_id
from admint.gateway.problems import install_problem_handlers, problem_media_types, problem_response
from admint.gateway.read_cache import BuiltViews, ClusterClock, ReadCache, WritesReadFresh
from admint.gateway.routes import (
    assets,
    costs,
    deletion,
    docs,
    generations,
    groups,
    health,
    keys,
    studio,
    webhooks,
)
from admint.gateway.security import SecurityHeadersMiddleware
from admint.gateway.state import Gateway
from admint.gateway.stores import AdmissionSlots, AssetRepository, GenerationQueries, IdempotencyRecords
from admint.gateway.usage import UsageQueries

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
DESCRIPTION = """Brief in, finished video ad out, watched live.

Every `/v1` route takes `Authorization: Bearer <api key>`. Errors are RFC 9457 `application/problem+json`.
Create a generation, follow `links.events` (server-sent events), then follow `links.video`."""


@contextlib.asynccontextmanager
async def connected(settings: GatewaySettings, startup_timeout_s: float = 120.0) -> AsyncIterator[Gateway]:
    """Connect every adapter (waiting for servers that start after us), and close them all on exit.

    One NATS connection, the broker's: the publisher, the SSE feeds' consumers and the retry's stream reads share
    it (it reconnects forever, so a restarted server is felt by all of them alike).
    """
    broker = make_broker(settings)
    publishers = declare_publishers(broker, settings)
    mongo = connect(settings.mongo_url)
    try:
        nc = await retry_until_ready("NATS", broker.connect, startup_timeout_s)
        js = nc.jetstream()
        await retry_until_ready("JetStream stream", lambda: ensure_stream(js, settings), startup_timeout_s)
        await broker.start()
        db = mongo[settings.mongo_db]
        await retry_until_ready("MongoDB", lambda: ensure_indexes(db), startup_timeout_s)
        blobs = BlobStore.from_settings(settings)
        await retry_until_ready("S3 bucket", blobs.ensure_bucket, startup_timeout_s)
        reads = ReadCache(ClusterClock(db), settings.read_cache_entries)
        feed = reads.follow(db, "generations") if settings.read_cache_entries else None
        gateway = Gateway(
            settings=settings, publisher=EventPublisher(broker, settings, publishers), mongo=mongo,
            docs=GenerationRepository(db), generations=GenerationQueries(db, reads), admission=AdmissionSlots(db),
            assets=AssetRepository(db),
            keys=ApiKeyRepository(db), idempotency=IdempotencyRecords(db), blobs=blobs, nc=nc, js=js,
            limiter=SharedRateLimiter(db), audit=AuditLog(db), endpoints=EndpointRepository(db),
            deliveries=DeliveryRepository(db), usage=UsageQueries(db), groups=GroupRepository(db),
            views=BuiltViews(size=settings.read_cache_entries),
        )
        if settings.dev_api_key is not None:
            created = await gateway.keys.ensure(settings.dev_api_key.get_secret_value(), settings.dev_owner,
                                                "development key")
            log.info("development key for owner %s %s", settings.dev_owner, "created" if created else "present")
            if settings.environment == "development":  # `make up` shows it so `admint` works at once
                key = settings.dev_api_key.get_secret_value()
                print(f"admint gateway on http://{settings.gateway_host}:{settings.gateway_port} — development "
                      f"API key: {key}  (export ADMINT_API_KEY={key})", flush=True)
        try:
            yield gateway
        finally:
            if gateway.hub is not None:
                await gateway.hub.close()
            if feed is not None:
                await feed.close()
    finally:
        with contextlib.suppress(Exception):
            await broker.stop()
        await mongo.close()


def _install_dependency_errors(app: FastAPI) -> None:
    """A server that is down is a 503 with Retry-After (the client should retry), not a 500."""

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("dependency unavailable on %s: %s", request.url.path, exc)
        return problem_response(request, 503, detail=f"a backing service is unavailable ({type(exc).__name__})",
                                kind="unavailable", headers={"Retry-After": "5"})

    for exc_type in (PyMongoError, NatsError, TransientError, TimeoutError):
        app.add_exception_handler(exc_type, unavailable)


def object_store_origin(settings: GatewaySettings) -> str:
    """Where browsers fetch presigned frames and videos from (the page's CSP allows it)."""
    scheme = "https" if settings.s3_secure else "http"
    return f"{scheme}://{settings.s3_public_endpoint or settings.s3_endpoint}"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    setup_tracing(settings.service_name)  # before the MongoDB client exists (OTEL_* variables; off by default)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with connected(settings) as gateway:
                app.state.gateway = gateway
                yield
        finally:
            shutdown_tracing()

    # /docs and /redoc from assets the gateway serves itself (no CDN): they work offline
    app = FastAPIOffline(title="admint", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
                         generate_unique_id_function=operation_id)
    install_problem_handlers(app)
    _install_dependency_errors(app)
    app.add_middleware(WritesReadFresh)
    app.add_middleware(BodyLimitMiddleware, default=settings.max_json_bytes,
                       body_timeout_s=settings.request_body_timeout_s,
                       limits={"/v1/assets": settings.max_upload_bytes + 256 * 1024})
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, media_origins=[object_store_origin(settings)])
    for router in (costs.estimates, generations.router, studio.router, groups.router, deletion.router, assets.router,
                   keys.me, keys.admin, keys.audit, health.router, docs.router, webhooks.router, costs.usage,
                   costs.admin_usage):
        app.include_router(router)
    app.mount("/ui", StaticFiles(directory=STATIC, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return complete(problem_media_types(default_openapi()), app)

    app.openapi = openapi  # type: ignore[method-assign]
    if tracing_enabled():  # a server span per request; the POST's is the root of its generation's trace
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics",
                                           exclude_spans=["send", "receive"])
    return app
