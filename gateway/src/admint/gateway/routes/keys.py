"""/v1/admin/keys (admin token) and /v1/me (any key): issue, list and revoke API keys; see your own limits."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from admint.gateway.deps import AdminDep, GatewayDep, PrincipalDep
from admint.gateway.pagination import BadCursor, CursorQuery, decode_cursor, encode_cursor
from admint.gateway.problems import ProblemError, problems
from admint.gateway.schemas import (
    AuditEntry,
    AuditPage,
    KeyCreate,
    KeyCreated,
    KeyView,
    Limits,
    MeView,
    StatusCount,
)

admin = APIRouter(prefix="/v1/admin/keys", tags=["admin"], dependencies=[AdminDep])
me = APIRouter(prefix="/v1/me", tags=["keys"])
audit = APIRouter(prefix="/v1/admin/audit", tags=["admin"], dependencies=[AdminDep])


def key_view(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["_id"], "owner": record["owner"], "name": record.get("name", ""),
        "prefix": record.get("prefix", ""), "created_at": record["created_at"],
        "revoked_at": record.get("revoked_at"), "max_active_generations": record.get("max_active_generations"),
        "rate_limit_per_minute": record.get("rate_limit_per_minute"),
        "generations_per_day": record.get("generations_per_day"),
        "spend_per_month_usd": record.get("spend_per_month_usd"),
    }


@admin.post("", status_code=201, response_model=KeyCreated, responses=problems(401, 422),
            summary="Create an API key (shown once)")
async def create_key(body: KeyCreate, gw: GatewayDep, request: Request) -> dict[str, Any]:
    plaintext, record = await gw.keys.create(
        body.owner, body.name, max_active_generations=body.max_active_generations,
        rate_limit_per_minute=body.rate_limit_per_minute, generations_per_day=body.generations_per_day,
        spend_per_month_usd=body.spend_per_month_usd,
    )
    await gw.audit.record("key.created", actor="admin", target=record["_id"], client=_client(request), details={
        "owner": body.owner, "name": body.name, "max_active_generations": body.max_active_generations,
        "rate_limit_per_minute": body.rate_limit_per_minute,
    })
    return {**key_view(record), "api_key": plaintext}


@admin.get("", response_model=list[KeyView], responses=problems(401, 422), summary="List API keys")
async def list_keys(
    gw: GatewayDep, owner: Annotated[str | None, Query(max_length=63, description="Only this owner's.")] = None,
) -> list[dict[str, Any]]:
    return [key_view(r) for r in await gw.keys.list_keys(owner)]


@admin.delete("/{key_id}", status_code=204, response_class=Response, responses=problems(401, 404, 422),
              summary="Revoke an API key")
async def revoke_key(key_id: Annotated[str, Path(max_length=64)], gw: GatewayDep, request: Request) -> Response:
    if not await gw.keys.revoke(key_id):
        raise ProblemError(404, f"no active key {key_id}", kind="not-found")
    await gw.audit.record("key.revoked", actor="admin", target=key_id, client=_client(request))
    return Response(status_code=204)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@audit.get("", response_model=AuditPage, responses=problems(401, 422), summary="The audit log of admin actions")
async def audit_log(
    gw: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: CursorQuery = None,
) -> AuditPage:
    """Key creations and revocations, newest first."""
    try:
        before = decode_cursor(cursor) if cursor else None
    except BadCursor as exc:
        raise ProblemError(422, str(exc), title="Request validation failed", kind="validation") from exc
    rows = await gw.audit.page(before=before, limit=limit + 1)
    items = [AuditEntry(id=r["_id"], **{k: v for k, v in r.items() if k != "_id"}) for r in rows[:limit]]
    return AuditPage(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


@me.get("", response_model=MeView, responses=problems(401, 429),
        summary="Who am I: owner, key and limits")
async def whoami(gw: GatewayDep, who: PrincipalDep) -> MeView:
    mine = await gw.generations.active_by_status(who.owner)
    return MeView(
        owner=who.owner, key_id=who.key_id,
        limits=Limits(max_active_generations=who.max_active_generations,
                      rate_limit_per_minute=who.rate_limit_per_minute, generations_per_day=who.generations_per_day,
                      spend_per_month_usd=who.spend_per_month_usd),
        active_generations=sum(mine.values()),
        active_by_status=[StatusCount(status=status, count=n) for status, n in mine.items()],  # type: ignore[arg-type]
        queue_depth=(await gw.generations.active_by_status()).get("queued", 0),
    )
