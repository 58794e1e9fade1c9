"""/v1/generations: create (idempotent), list, read, cancel, download, and the SSE feed."""

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import utcnow
from admint.contracts.generation import GenerationCancelled, GenerationRequested, GenerationSpec
from admint.contracts.ids import ID_PATTERN, new_id
from admint.contracts.stages import PIPELINE, Status
from admint.core import recovery
from admint.core.document import CancelInfo, GenerationDoc, RequestRecord
from admint.core.tracing import current_trace_id
from admint.gateway.actions import Outcome, fingerprint, perform
from admint.gateway.auth import Principal
from admint.gateway.bodies import as_json, json_response
from admint.gateway.costs import estimate_spec
from admint.gateway.deps import GatewayDep, PrincipalDep, StreamPrincipalDep
from admint.gateway.downloads import available_aspects, find_rendition_key, normalize_aspect
from admint.gateway.metrics import GENERATIONS_ACCEPTED, RATE_LIMITED
from admint.gateway.outbound import check_webhook_url, url_problem
from admint.gateway.pagination import BadCursor, CursorQuery, decode_cursor, encode_cursor
from admint.gateway.problems import ProblemError, problems
from admint.gateway.quality_views import scores_to_come
from admint.gateway.quotas import check_quotas
from admint.gateway.routes import studio
from admint.gateway.routes.deletion import gone
from admint.gateway.schemas import GenerationAccepted, GenerationCreate, GenerationPage, GenerationView
from admint.gateway.specs import build_spec, request_hash
from admint.gateway.sse import SSE_HEADERS
from admint.gateway.state import Gateway
from admint.gateway.stores import IdempotencyRecord
from admint.gateway.views import accepted, generation_view, links, summary

router = APIRouter(prefix="/v1/generations", tags=["generations"])
log = logging.getLogger(__name__)

GenerationId = Annotated[str, Path(description="Generation id.", pattern=ID_PATTERN)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
           description="Retry-safe creation: the same key and body return the same generation."),
]


CommandKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
           description="Retry-safe command: the same key gives the same answer, and the command runs once."),
]


def _not_found(generation_id: str) -> ProblemError:
    return ProblemError(404, f"no generation {generation_id} for this key", kind="not-found")


async def _submit(gw: Gateway, document: GenerationDoc) -> GenerationDoc:
    """Create the document (if not yet) and publish generation.requested.v1 (if not yet). Safe to repeat."""
    await gw.docs.create(document)
    doc = await gw.docs.get(document.id)
    assert doc is not None
    if doc.request.published_at is None:
        event = GenerationRequested(generation_id=doc.id, producer=gw.settings.service_name, owner=doc.owner,
                                    spec=doc.spec)
        try:
            await gw.publisher.publish(event)
        except Exception as exc:
            log.error("could not publish %s: %s", event.subject, exc)
            if doc.request.idempotency_key:
                await gw.idempotency.release(doc.owner, doc.request.idempotency_key)
            await gw.docs.fail(doc.id, PIPELINE.names[0], "the request could not be queued", retryable=True,
                               detail=str(exc)[:500])
            raise ProblemError(503, "the event bus is unavailable; nothing was created, please retry",
                               kind="unavailable", headers={"Retry-After": "5"}) from exc
        await gw.docs.mark_published(doc.id)
    return doc


def _too_many_active(gw: Gateway, who: Principal, active: int) -> ProblemError:
    """The key runs as many generations as it may (checked before the document is written, and again after it,
    against the generations admitted before it: a burst of concurrent requests never gets past the limit)."""
    RATE_LIMITED.labels("active_generations").inc()
    retry = gw.settings.active_retry_after_s
    return ProblemError(
        429, f"{active} generations are still running; this key may run {who.max_active_generations} at once",
        kind="too-many-active", headers={"Retry-After": str(retry)}, retry_after_s=retry, limit="active_generations",
    )


async def _replay(gw: Gateway, record: IdempotencyRecord, body_hash: str, response: Response) -> GenerationAccepted:
    if record.request_hash != body_hash:
        raise ProblemError(
            409, "this Idempotency-Key was used with a different request body", kind="idempotency-conflict",
            generation_id=record.document.id,
        )
    doc = await _submit(gw, record.document)
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = links(doc.id, gw.base_url).self
    return accepted(doc, gw.base_url)


async def _product_asset(gw: Gateway, who: Principal, asset_id: str) -> ArtifactRef:
    asset = await gw.assets.get_owned(asset_id, who.owner)
    if asset is None:
        raise ProblemError(
            422, f"product_asset_id {asset_id} is not one of this key's assets", title="Request validation failed",
            kind="validation",
            errors=[{"loc": ["body", "product_asset_id"], "pointer": "/product_asset_id",
                     "msg": "unknown asset", "type": "unknown_asset"}],
        )
    return ArtifactRef.model_validate(asset["image"])


async def _request_callback(gw: Gateway, who: Principal, url: str) -> None:
    """A per-request webhook URL: safe to call, and signed with a secret the owner already has."""
    await check_webhook_url(gw, url, "webhook_url")
    if await gw.endpoints.request_endpoint(who.owner) is None:
        raise url_problem("webhook_url callbacks are signed with the owner's request secret, which does not exist "
                          "yet: create it once with POST /v1/webhooks/request/rotate-secret", "webhook_url")


async def _affordable(gw: Gateway, who: Principal, spec: GenerationSpec, at: datetime) -> float:
    """The request's estimate, when it fits the request's max_cost_usd (else 422 with the estimate) and the
    key's quotas (else 429 naming the quota)."""
    estimate = estimate_spec(spec, gw.settings)
    if spec.max_cost_usd is not None and estimate.total_usd > spec.max_cost_usd:
        raise ProblemError(
            422, f"estimated at {estimate.total_usd:.4f} USD, more than max_cost_usd {spec.max_cost_usd:g}",
            title="Over the cost limit", kind="over-max-cost", max_cost_usd=spec.max_cost_usd,
            estimate=estimate.model_dump(mode="json"),
        )
    await check_quotas(gw.usage, who, estimate.total_usd, at)
    return estimate.total_usd


_ID_LINK = {"generation_id": "$response.body#/id"}
_CREATED_LINKS = {
    "GetGeneration": {"operationId": "getGeneration", "parameters": _ID_LINK},
    "CancelGeneration": {"operationId": "cancelGeneration", "parameters": _ID_LINK},
    "DownloadVideo": {"operationId": "downloadVideo", "parameters": _ID_LINK},
    "FollowEvents": {"operationId": "generationEvents", "parameters": _ID_LINK},
    "RetryGeneration": {"operationId": "retryGeneration", "parameters": _ID_LINK},
    "DeleteGeneration": {"operationId": "deleteGeneration", "parameters": _ID_LINK},
    "Approve": {"operationId": "approve", "parameters": _ID_LINK},
    "EditPlan": {"operationId": "editPlan", "parameters": _ID_LINK},
    "GiveFeedback": {"operationId": "giveFeedback", "parameters": _ID_LINK},
    "ListFeedback": {"operationId": "listFeedback", "parameters": _ID_LINK},
    "ListVersions": {"operationId": "listVersions", "parameters": _ID_LINK},
}


@router.post("", status_code=202, response_model=GenerationAccepted, operation_id="createGeneration",
             responses={202: {"description": "Accepted.", "links": _CREATED_LINKS},
                        **problems(401, 409, 422, 429, 503)},
             summary="Ask for an ad")
async def create_generation(
    body: GenerationCreate, gw: GatewayDep, who: PrincipalDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationAccepted:
    """Accept a brief: write the generation document and publish `generation.requested.v1`."""
    body_hash = request_hash(body)
    if idempotency_key and (earlier := await gw.idempotency.get(who.owner, idempotency_key)):
        return await _replay(gw, earlier, body_hash, response)
    if body.webhook_url:
        await _request_callback(gw, who, body.webhook_url)
    product = await _product_asset(gw, who, body.product_asset_id) if body.product_asset_id else None
    active = await gw.generations.count_active(who.owner)
    if active >= who.max_active_generations:
        raise _too_many_active(gw, who, active)
    stamp = utcnow()
    spec = build_spec(body, long_side=gw.settings.render_long_side, fps=gw.settings.fps, product_asset=product)
    cost = await _affordable(gw, who, spec, stamp)
    document = GenerationDoc(
        _id=new_id(), owner=who.owner, created_at=stamp, updated_at=stamp, spec=spec,
        request=RequestRecord(key_id=who.key_id, idempotency_key=idempotency_key, request_hash=body_hash,
                              webhook_url=body.webhook_url, estimated_cost_usd=cost, trace_id=current_trace_id()),
    )
    if idempotency_key:
        earlier = await gw.idempotency.claim(who.owner, idempotency_key, document)
        if earlier is not None:  # a concurrent request with the same key won
            return await _replay(gw, earlier, body_hash, response)
    await gw.docs.create(document)
    if not await gw.admission.take(who.owner, document.id, who.max_active_generations):
        # concurrent requests passed the count above together: only as many as the limit get a slot
        await gw.generations.withdraw(document.id)
        if idempotency_key:
            await gw.idempotency.release(who.owner, idempotency_key)
        raise _too_many_active(gw, who, who.max_active_generations)
    doc = await _submit(gw, document)
    GENERATIONS_ACCEPTED.inc()
    response.headers["Location"] = links(doc.id, gw.base_url).self
    return accepted(doc, gw.base_url)


@router.get("", response_model=GenerationPage, operation_id="listGenerations", responses=problems(401, 422, 429),
            summary="List your generations")
async def list_generations(
    gw: GatewayDep, who: PrincipalDep,
    status: Annotated[Status | None, Query(description="Only generations in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Newest first."""
    try:
        before = decode_cursor(cursor) if cursor else None
    except BadCursor as exc:
        raise ProblemError(422, str(exc), title="Request validation failed", kind="validation") from exc
    listed = await gw.generations.page(who.owner, status=status, before=before, limit=limit + 1)

    async def build() -> bytes:
        items = [summary(g, gw.base_url) for g in listed[:limit]]
        page = GenerationPage(items=items, next_cursor=encode_cursor(items[-1].id) if len(listed) > limit else None)
        return as_json(page)

    return json_response(await gw.views.get(listed, build, key=("page", who.owner, status, before, limit)))


@router.get("/{generation_id}", response_model=GenerationView, operation_id="getGeneration",
            responses=problems(401, 404, 410, 422, 429),
            summary="One generation: status, plan, frames, chunks, renditions, costs, error")
async def get_generation(generation_id: GenerationId, gw: GatewayDep, who: PrincipalDep) -> Response:
    doc = await gw.generations.get_owned(generation_id, who.owner)
    if doc is None:
        raise _not_found(generation_id)
    if doc.deletion is not None:
        raise gone(doc)

    async def build() -> bytes:
        expires = utcnow() + timedelta(seconds=gw.settings.presign_expiry_s)
        view = await generation_view(doc, gw.presign, gw.base_url, expires, gw.settings.approval_deadline_s)
        if doc.plan is not None:
            view.costs.projected_usd = estimate_spec(doc.spec, gw.settings, doc.plan).total_usd
        return as_json(view)

    return json_response(await gw.views.get(doc, build))


@router.post("/{generation_id}/cancel", status_code=202, response_model=GenerationAccepted,
             operation_id="cancelGeneration",
             responses=problems(401, 404, 409, 422, 429), summary="Cancel a running generation")
async def cancel_generation(generation_id: GenerationId, request: Request, gw: GatewayDep, who: PrincipalDep,
                            idempotency_key: CommandKey = None) -> Response:
    """Moves it to `cancelled` and publishes `generation.cancelled.v1`; workers drop its work (also while it waits
    at a checkpoint)."""
    async def run() -> Outcome:
        doc = await gw.generations.get_owned(generation_id, who.owner)
        if doc is None:
            raise _not_found(generation_id)
        event = GenerationCancelled(generation_id=generation_id, producer=gw.settings.service_name,
                                    requested_by=who.owner)
        moved = await gw.docs.cancel(generation_id, CancelInfo(by=who.owner, key_id=who.key_id))
        if not moved:
            status = await gw.docs.status(generation_id)
            if status == "cancelled":  # make sure the event went out (a duplicate is dropped by the stream)
                await gw.publisher.publish(event)
            raise ProblemError(409, f"generation {generation_id} is already {status}", kind="already-finished",
                               generation_status=status)
        return Outcome(202, accepted(await gw.docs.get(generation_id) or doc, gw.base_url), [event])

    return await perform(gw, who.owner, idempotency_key, fingerprint("POST", request.url.path, None),
                         request.url.path, run)


@router.post("/{generation_id}/retry", status_code=202, response_model=GenerationAccepted,
             operation_id="retryGeneration",
             responses=problems(401, 404, 409, 410, 422, 429), summary="Re-run a failed generation's failed stage")
async def retry_generation(generation_id: GenerationId, request: Request, gw: GatewayDep, who: PrincipalDep,
                           idempotency_key: CommandKey = None) -> Response:
    """Re-runs only the failed stage's missing pieces (e.g. the one chunk that failed), reusing what is stored.
    On a generation that did not fail as a whole it retries what did: a failed version (made again as the next
    version), failed takes at the storyboard checkpoint, or in-flight work whose events were lost."""
    async def run() -> Outcome:
        owned = await gw.generations.get_owned(generation_id, who.owner)
        if owned is None:
            raise _not_found(generation_id)
        if owned.deletion is not None:
            raise gone(owned)
        if owned.status != "failed":
            events = await studio.retry_steering(gw, owned, who.owner)
            return Outcome(202, accepted(await gw.docs.get(generation_id) or owned, gw.base_url), events)
        try:
            attempt, stage = await recovery.retry_generation(
                gw.docs, gw.js, gw.publisher, generation_id, stream=gw.settings.stream_name,
                producer=gw.settings.service_name,
            )
        except recovery.NotRetryable as exc:
            raise ProblemError(409, str(exc), kind="not-retryable") from None
        log.info("retry round %d of %s from %s", attempt, generation_id, stage)
        doc = await gw.docs.get(generation_id)
        assert doc is not None
        return Outcome(202, accepted(doc, gw.base_url))

    return await perform(gw, who.owner, idempotency_key, fingerprint("POST", request.url.path, None),
                         request.url.path, run)


@router.get("/{generation_id}/video", status_code=307, response_class=RedirectResponse, operation_id="downloadVideo",
            responses={307: {"description": "Redirect to a presigned download URL."},
                       200: {"description": "With redirect=false: {url, rendition, expires_in_s}.",
                             "content": {"application/json": {}}},
                       **problems(401, 404, 409, 410, 422, 429)},
            summary="Download the finished video")
async def download_video(
    generation_id: GenerationId, gw: GatewayDep, who: PrincipalDep,
    rendition: Annotated[str | None, Query(max_length=16, description="Aspect, e.g. 9:16 or 9x16; "
                                                                      "default: the master's.")] = None,
    redirect: Annotated[bool, Query(description="false: answer the link as JSON instead of redirecting "
                                                "(browsers cannot read a cross-origin Location).")] = True,
    version: Annotated[int | None, Query(ge=1, description="Version of the ad (GET …/versions); default: the "
                                                           "newest completed one.")] = None,
    download: Annotated[bool, Query(description="true: the link makes a browser save the file "
                                                "(Content-Disposition: attachment) instead of playing it.")] = False,
) -> Response:
    doc = await gw.generations.get_owned(generation_id, who.owner)
    if doc is None:
        raise _not_found(generation_id)
    if doc.deletion is not None:
        raise gone(doc)
    chosen = version if version is not None else doc.latest_version
    if chosen > 1:
        return await _download_version(gw, doc, chosen, rendition, redirect, download)
    available = available_aspects(doc)
    aspect = normalize_aspect(rendition) if rendition else available[0]
    if aspect not in available:
        raise ProblemError(404, f"no rendition {rendition!r}; this generation has {', '.join(available)}",
                           kind="not-found", renditions=available)
    status = doc.status
    if status != "completed":
        headers = {} if status in PIPELINE.terminal else {"Retry-After": "10"}
        raise ProblemError(409, f"the video is not ready: generation is {status}", kind="not-ready",
                           headers=headers, generation_status=status)
    for key in find_rendition_key(doc, aspect):
        if await gw.blobs.exists(key):
            url = await gw.presign(key, _file_name(doc.id, aspect, 1) if download else None)
            if not redirect:
                return JSONResponse({"url": url, "rendition": aspect, "expires_in_s": gw.settings.presign_expiry_s})
            return RedirectResponse(url, status_code=307)
    raise ProblemError(404, f"the {aspect} file of generation {generation_id} is no longer stored",
                       kind="not-found")


def _file_name(generation_id: str, aspect: str, version: int) -> str:
    """What a downloaded video is saved as: admint-<id>-9x16.mp4 (-v2 for a later version)."""
    return f"admint-{generation_id}-{aspect.replace(':', 'x')}{f'-v{version}' if version > 1 else ''}.mp4"


async def _download_version(gw: Gateway, doc: GenerationDoc, version: int, rendition: str | None,
                            redirect: bool, download: bool = False) -> Response:
    """A later version's file (GET …/versions lists them)."""
    section = doc.ad_version(version)
    if section is None:
        raise ProblemError(404, f"the ad has no version {version} (its newest is {doc.latest_version})",
                           kind="not-found")
    if section.state != "completed":
        headers = {"Retry-After": "10"} if section.state == "rendering" else {}
        raise ProblemError(409, f"version {version} is {section.state}", kind="not-ready", headers=headers,
                           version_state=section.state)
    available = available_aspects(doc)
    aspect = normalize_aspect(rendition) if rendition else available[0]
    if aspect not in available:
        raise ProblemError(404, f"no rendition {rendition!r}; this generation has {', '.join(available)}",
                           kind="not-found", renditions=available)
    for key in find_rendition_key(doc, aspect, version):
        if await gw.blobs.exists(key):
            url = await gw.presign(key, _file_name(doc.id, aspect, version) if download else None)
            if not redirect:
                return JSONResponse({"url": url, "rendition": aspect, "version": version,
                                     "expires_in_s": gw.settings.presign_expiry_s})
            return RedirectResponse(url, status_code=307)
    raise ProblemError(404, f"the {aspect} file of version {version} is no longer stored", kind="not-found")


@router.get("/{generation_id}/events", response_class=StreamingResponse, operation_id="generationEvents",
            responses={200: {"description": "Server-sent events: id = stream sequence, event = event type, "
                                            "data = the event JSON.", "content": {"text/event-stream": {}}},
                       **problems(401, 404, 410, 422, 429, 503)},
            summary="Live feed of a generation's events (SSE)")
async def generation_events(
    generation_id: GenerationId, gw: GatewayDep, who: StreamPrincipalDep,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0,
                                                description="Resume after this stream sequence.")] = None,
    after: Annotated[int | None, Query(ge=0, description="Same as Last-Event-ID, for clients that "
                                                         "cannot set headers.")] = None,
) -> StreamingResponse:
    """History first, then live events; ends after completed/failed/cancelled — after a completion, once the
    quality scores still to come have arrived (at most ADMINT_SSE_SCORES_WAIT_S later); keep-alive comments
    meanwhile."""
    owned = await gw.generations.get_owned(generation_id, who.owner)
    if owned is None:
        raise _not_found(generation_id)
    if owned.deletion is not None:
        raise gone(owned)
    resume = last_event_id if last_event_id is not None else (after or 0)

    async def current_attempt() -> int:
        doc = await gw.docs.get(generation_id)
        return doc.attempt if doc else 0

    async def scores_pending() -> bool:
        return scores_to_come(await gw.docs.get(generation_id))

    async def rendering_version() -> int:
        doc = await gw.docs.get(generation_id)
        return doc.rendering_version if doc else 0

    if not gw.streams.acquire(who.key_id, gw.settings.max_streams_per_key):
        RATE_LIMITED.labels("open_streams").inc()
        raise ProblemError(429, f"this key already holds {gw.settings.max_streams_per_key} open event streams",
                           kind="too-many-streams", headers={"Retry-After": "5"}, retry_after_s=5,
                           limit="open_streams")
    try:
        watcher = await gw.sse_hub().watch(generation_id, resume, current_attempt, scores_pending,
                                           rendering_version)
    except Exception as exc:
        gw.streams.release(who.key_id)
        raise ProblemError(503, f"the event stream is unavailable: {exc}", kind="unavailable",
                           headers={"Retry-After": "5"}) from exc

    async def stream() -> AsyncIterator[str]:
        try:
            async for chunk in watcher.stream_text():
                yield chunk
        finally:
            gw.streams.release(who.key_id)

    return StreamingResponse(stream(), media_type="text/event-stream", headers=SSE_HEADERS)
