"""/healthz (process up), /readyz (NATS, Mongo-wire, S3 reachable), /metrics (Prometheus)."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from admint.contracts.stages import PIPELINE
from admint.gateway.deps import GatewayDep
from admint.gateway.metrics import GENERATIONS_ACTIVE
from admint.gateway.problems import PROBLEM_JSON
from admint.gateway.state import Gateway

router = APIRouter(tags=["health"])


async def _checks(gw: Gateway) -> dict[str, bool]:
    async def nats_ok() -> bool:
        await gw.nc.flush(timeout=2)
        return bool(gw.nc.is_connected)

    async def mongo_ok() -> bool:
        await gw.mongo.admin.command("ping")
        return True

    checks: dict[str, Callable[[], Awaitable[bool]]] = {
        "nats": nats_ok, "mongo": mongo_ok, "s3": gw.blobs.bucket_ready,
    }

    async def run(check: Callable[[], Awaitable[bool]]) -> bool:
        try:
            return bool(await asyncio.wait_for(check(), timeout=3))
        except Exception:
            return False

    results = await asyncio.gather(*(run(c) for c in checks.values()))
    return dict(zip(checks, results, strict=True))


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok", "service": "gateway"}


@router.get("/readyz", summary="NATS, the document store and the object store answer",
            responses={503: {"description": "A dependency does not answer."}})
async def readyz(gw: GatewayDep) -> JSONResponse:
    results = await _checks(gw)
    if all(results.values()):
        return JSONResponse({"ready": True, "checks": results})
    failing = ", ".join(name for name, ok in results.items() if not ok)
    return JSONResponse(
        {"type": "/problems/not-ready", "title": "Service Unavailable", "status": 503,
         "detail": f"not reachable: {failing}", "instance": "/readyz", "ready": False, "checks": results},
        status_code=503, media_type=PROBLEM_JSON,
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(gw: GatewayDep) -> Response:
    await _count_generations(gw)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _count_generations(gw: Gateway) -> None:
    """The queue depth and every stage's load, counted at scrape time (one count per status); a store that does
    not answer leaves the last counts (the scrape itself never fails on it)."""
    try:
        counts = await asyncio.wait_for(gw.generations.active_by_status(), timeout=2)
    except Exception:
        return
    for status in PIPELINE.active:
        GENERATIONS_ACTIVE.labels(status).set(counts.get(status, 0))
