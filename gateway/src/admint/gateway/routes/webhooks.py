"""/v1/webhooks: an owner's endpoints (signed Standard Webhooks), their secrets and their deliveries.

The id `request` names the owner's per-request callbacks (`webhook_url` on POST /v1/generations): their signing
secrets (POST /v1/webhooks/request/rotate-secret makes the first) and their deliveries.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from admint.contracts.ids import ID_PATTERN, new_id
from admint.core.docstore import now
from admint.core.webhooks import (
    REQUEST_ENDPOINT,
    SigningSecret,
    WebhookEndpoint,
    new_secret,
    request_endpoint_id,
)
from admint.gateway.auth import Principal
from admint.gateway.deps import GatewayDep, PrincipalDep
from admint.gateway.outbound import check_webhook_url
from admint.gateway.pagination import BadCursor, CursorQuery, decode_cursor, encode_cursor
from admint.gateway.problems import ProblemError, problems
from admint.gateway.state import Gateway
from admint.gateway.webhook_schemas import (
    DeliveryPage,
    DeliveryView,
    SecretRotate,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookUpdate,
    WebhookView,
    delivery_view,
    webhook_view,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EndpointId = Annotated[str, Path(description="Endpoint id, or `request` for per-request callbacks.",
                                 pattern=ID_PATTERN)]
DeliveryId = Annotated[str, Path(description="Delivery id.", pattern=ID_PATTERN)]


def _not_found(endpoint_id: str) -> ProblemError:
    return ProblemError(404, f"no webhook endpoint {endpoint_id} for this key", kind="not-found")


async def _owned(gw: Gateway, who: Principal, endpoint_id: str) -> WebhookEndpoint:
    if endpoint_id == REQUEST_ENDPOINT:
        found = await gw.endpoints.request_endpoint(who.owner)
    else:
        found = await gw.endpoints.get_owned(who.owner, endpoint_id)
    if found is None:
        raise _not_found(endpoint_id)
    return found


@router.post("", status_code=201, response_model=WebhookCreated, operation_id="createWebhook",
             responses=problems(401, 409, 422, 429), summary="Register a webhook endpoint (secret shown once)")
async def create_webhook(body: WebhookCreate, gw: GatewayDep, who: PrincipalDep, response: Response) -> WebhookCreated:
    await check_webhook_url(gw, body.url)
    if await gw.endpoints.count_owned(who.owner) >= gw.settings.max_webhooks_per_owner:
        raise ProblemError(409, f"an owner may register {gw.settings.max_webhooks_per_owner} endpoints",
                           kind="too-many-webhooks")
    stamp, secret = now(), new_secret()
    endpoint = WebhookEndpoint(
        _id=new_id(), owner=who.owner, url=body.url, event_types=list(dict.fromkeys(body.event_types)),
        enabled=body.enabled, description=body.description,
        secrets=[SigningSecret(secret=secret, created_at=stamp)], created_at=stamp, updated_at=stamp,
    )
    await gw.endpoints.create(endpoint)
    response.headers["Location"] = f"{gw.base_url}/v1/webhooks/{endpoint.id}"
    return WebhookCreated(**webhook_view(endpoint).model_dump(), secret=secret)


@router.get("", response_model=list[WebhookView], operation_id="listWebhooks", responses=problems(401, 429),
            summary="List your webhook endpoints")
async def list_webhooks(gw: GatewayDep, who: PrincipalDep) -> list[WebhookView]:
    return [webhook_view(e) for e in await gw.endpoints.list_owned(who.owner)]


@router.get("/{endpoint_id}", response_model=WebhookView, operation_id="getWebhook",
            responses=problems(401, 404, 422, 429), summary="One endpoint: settings, health, secrets in use")
async def get_webhook(endpoint_id: EndpointId, gw: GatewayDep, who: PrincipalDep) -> WebhookView:
    return webhook_view(await _owned(gw, who, endpoint_id))


@router.patch("/{endpoint_id}", response_model=WebhookView, operation_id="updateWebhook",
              responses=problems(401, 404, 422, 429), summary="Change url, event types, enabled, description")
async def update_webhook(endpoint_id: EndpointId, body: WebhookUpdate, gw: GatewayDep,
                         who: PrincipalDep) -> WebhookView:
    if endpoint_id == REQUEST_ENDPOINT:
        raise ProblemError(422, "the request pseudo-endpoint has no settings; rotate its secret instead",
                           kind="validation")
    sets: dict[str, Any] = body.model_dump(exclude_none=True)
    if "url" in sets:
        await check_webhook_url(gw, sets["url"])
    if "event_types" in sets:
        sets["event_types"] = list(dict.fromkeys(sets["event_types"]))
    updated = await gw.endpoints.update(who.owner, endpoint_id, sets)
    if updated is None:
        raise _not_found(endpoint_id)
    return webhook_view(updated)


@router.delete("/{endpoint_id}", status_code=204, response_class=Response, operation_id="deleteWebhook",
               responses=problems(401, 404, 422, 429), summary="Remove an endpoint (its pending deliveries end)")
async def delete_webhook(endpoint_id: EndpointId, gw: GatewayDep, who: PrincipalDep) -> Response:
    if not await gw.endpoints.delete(who.owner, endpoint_id):
        raise _not_found(endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=SecretRotated, operation_id="rotateWebhookSecret",
             responses=problems(401, 404, 409, 422, 429),
             summary="New signing secret (shown once); the old one keeps signing for the overlap")
async def rotate_secret(
    endpoint_id: EndpointId, gw: GatewayDep, who: PrincipalDep,
    body: Annotated[SecretRotate | None, Body(openapi_examples={"one hour": {"value": {"overlap_s": 3600}}})] = None,
) -> SecretRotated:
    body = body or SecretRotate()
    if endpoint_id == REQUEST_ENDPOINT and await gw.endpoints.request_endpoint(who.owner) is None:
        made = await gw.endpoints.request_endpoint(who.owner, create=True)
        assert made is not None
        return SecretRotated(id=REQUEST_ENDPOINT, secret=made.secrets[0].secret)
    endpoint = await _owned(gw, who, endpoint_id)
    secret = new_secret()
    rotated = await gw.endpoints.rotate(endpoint, secret, body.overlap_s)
    if rotated is None:
        raise ProblemError(409, "the endpoint changed meanwhile; rotate again", kind="conflict")
    previous = rotated.secrets[1].expires_at if len(rotated.secrets) > 1 else None
    return SecretRotated(id=rotated.api_id, secret=secret, previous_expires_at=previous)


def _stored_endpoint_id(who: Principal, endpoint_id: str) -> str:
    return request_endpoint_id(who.owner) if endpoint_id == REQUEST_ENDPOINT else endpoint_id


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryPage, operation_id="listWebhookDeliveries",
            responses=problems(401, 404, 422, 429), summary="Deliveries to an endpoint, newest first")
async def list_deliveries(
    endpoint_id: EndpointId, gw: GatewayDep, who: PrincipalDep,
    status: Annotated[str | None, Query(pattern="^(pending|succeeded|failed)$",
                                        description="Only deliveries in this status.")] = None,
    generation_id: Annotated[str | None, Query(pattern=ID_PATTERN,
                                               description="Only deliveries about this generation.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    cursor: CursorQuery = None,
) -> DeliveryPage:
    await _owned(gw, who, endpoint_id)
    try:
        before = decode_cursor(cursor) if cursor else None
    except BadCursor as exc:
        raise ProblemError(422, str(exc), title="Request validation failed", kind="validation") from exc
    found = await gw.deliveries.page(who.owner, _stored_endpoint_id(who, endpoint_id), status=status,
                                     before=before, limit=limit + 1, generation_id=generation_id)
    items = [delivery_view(d, endpoint_id) for d in found[:limit]]
    return DeliveryPage(items=items, next_cursor=encode_cursor(items[-1].id) if len(found) > limit else None)


@router.get("/{endpoint_id}/deliveries/{delivery_id}", response_model=DeliveryView,
            operation_id="getWebhookDelivery", responses=problems(401, 404, 422, 429),
            summary="One delivery with every attempt")
async def get_delivery(endpoint_id: EndpointId, delivery_id: DeliveryId, gw: GatewayDep,
                       who: PrincipalDep) -> DeliveryView:
    found = await gw.deliveries.get_owned(who.owner, _stored_endpoint_id(who, endpoint_id), delivery_id)
    if found is None:
        raise ProblemError(404, f"no delivery {delivery_id} to endpoint {endpoint_id}", kind="not-found")
    return delivery_view(found, endpoint_id)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", status_code=202, response_model=DeliveryView,
             operation_id="redeliverWebhook", responses=problems(401, 404, 409, 422, 429),
             summary="Send a finished delivery again (same webhook-id and body, one attempt)")
async def redeliver(endpoint_id: EndpointId, delivery_id: DeliveryId, gw: GatewayDep,
                    who: PrincipalDep) -> DeliveryView:
    stored_id = _stored_endpoint_id(who, endpoint_id)
    found = await gw.deliveries.get_owned(who.owner, stored_id, delivery_id)
    if found is None:
        raise ProblemError(404, f"no delivery {delivery_id} to endpoint {endpoint_id}", kind="not-found")
    endpoint = await _owned(gw, who, endpoint_id)
    if endpoint.kind == "endpoint" and not endpoint.enabled:
        raise ProblemError(409, "the endpoint is disabled; enable it first (PATCH enabled=true)",
                           kind="webhook-disabled", disabled_reason=endpoint.disabled_reason)
    again = await gw.deliveries.redeliver(who.owner, stored_id, delivery_id)
    if again is None:
        raise ProblemError(409, "the delivery is still pending; it is retried on its schedule",
                           kind="delivery-pending")
    return delivery_view(again, endpoint_id)
