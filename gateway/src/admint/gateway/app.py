"""The composition root: FastAPI app whose lifespan owns the NATS connection, MongoDB and S3."""

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from nats.errors import Error as NatsError
from pymongo.errors import PyMongoError

from admint.core.blobstore import BlobStore
from admint.core.bus import EventPublisher, ensure_stream, make_broker
from admint.core.docstore import GenerationRepository, ensure_indexes
from admint.core.errors import TransientError
from admint.core.mongo import connect
from admint.core.service import retry_until_ready
from admint.gateway.auth import ApiKeyRepository
from admint.gateway.config import GatewaySettings
from admint.gateway.limits import BodyLimitMiddleware, SharedRateLimiter
from admint.gateway.metrics import MetricsMiddleware
from admint.gateway.problems import install_problem_handlers, problem_media_types, problem_response
from admint.gateway.routes import assets, generations, health, keys, studio
from admint.gateway.state import Gateway
from admint.gateway.stores import AssetRepository, GenerationQueries, IdempotencyRecords

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
        gateway = Gateway(
            settings=settings, publisher=EventPublisher(broker, settings), mongo=mongo,
            docs=GenerationRepository(db), generations=GenerationQueries(db), assets=AssetRepository(db),
            keys=ApiKeyRepository(db), idempotency=IdempotencyRecords(db), blobs=blobs, nc=nc, js=js,
            limiter=SharedRateLimiter(db),
        )
        if settings.dev_api_key is not None:
            created = await gateway.keys.ensure(settings.dev_api_key.get_secret_value(), settings.dev_owner,
                                                "development key")
            log.info("development key for owner %s %s", settings.dev_owner, "created" if created else "present")
            if settings.environment == "development":  # `make up` shows it so `admint` works at once
                key = settings.dev_api_key.get_secret_value()
                print(f"admint gateway on http://{settings.gateway_host}:{settings.gateway_port} — development "
                      f"API key: {key}  (export ADMINT_API_KEY={key})", flush=True)
        yield gateway
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


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with connected(settings) as gateway:
            app.state.gateway = gateway
            yield

    app = FastAPI(title="admint", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    _install_dependency_errors(app)
    app.add_middleware(BodyLimitMiddleware, default=settings.max_json_bytes,
                       limits={"/v1/assets": settings.max_upload_bytes + 256 * 1024})
    app.add_middleware(MetricsMiddleware)
    for router in (generations.router, studio.router, assets.router, keys.me, keys.admin, health.router):
        app.include_router(router)
    app.mount("/ui", StaticFiles(directory=STATIC, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return problem_media_types(default_openapi())

    app.openapi = openapi  # type: ignore[method-assign]
    return app
