"""Dependencies as Annotated aliases: the gateway state, the authenticated caller (rate-limited), the admin."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from admint.gateway.auth import Principal, principal_of, same_secret
from admint.gateway.metrics import RATE_LIMITED
from admint.gateway.problems import ProblemError
from admint.gateway.state import Gateway

_bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey", description="`Authorization: Bearer <api key>`")
_admin_bearer = HTTPBearer(auto_error=False, scheme_name="AdminToken",
                           description="`Authorization: Bearer <admin token>` (ADMINT_ADMIN_TOKEN)")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
AdminCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)]


async def get_gateway(request: Request) -> Gateway:  # async: a plain def would run in the thread pool
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def _unauthorized(detail: str, error: str | None = None) -> ProblemError:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return ProblemError(401, detail, kind="unauthorized", headers={"WWW-Authenticate": challenge})


async def _authenticate(gw: Gateway, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None or not credentials.credentials:
        raise _unauthorized("send an API key as `Authorization: Bearer <key>`")
    record = await gw.keys.lookup(credentials.credentials)
    if record is None:
        raise _unauthorized("the API key is unknown or revoked", "invalid_token")
    return principal_of(record, gw.settings.max_active_generations, gw.settings.rate_limit_per_minute,
                        default_per_day=gw.settings.generations_per_day,
                        default_per_month_usd=gw.settings.spend_per_month_usd)


async def _charge(gw: Gateway, bucket: str, limit: int, what: str, label: str) -> None:
    """One hit on a GCRA bucket; 429 with an exact Retry-After when it is full."""
    retry_after = await gw.limiter.hit(bucket, limit)
    if retry_after is not None:
        RATE_LIMITED.labels(label).inc()
        raise ProblemError(
            429, f"more than {limit} {what} in a minute for this key", kind="rate-limited",
            headers={"Retry-After": str(retry_after)}, retry_after_s=retry_after, limit=label,
        )


async def get_principal(gw: GatewayDep, credentials: Credentials) -> Principal:
    """The caller's key → owner and limits; counts the request against the key's per-minute limit."""
    who = await _authenticate(gw, credentials)
    await _charge(gw, who.key_id, who.rate_limit_per_minute, "requests", "requests_per_minute")
    return who


async def get_stream_principal(gw: GatewayDep, credentials: Credentials) -> Principal:
    """Like get_principal for the SSE feed, but its (re)connections count in a bucket of their own: a client in a
    reconnect storm is slowed down there and keeps the rest of its request budget."""
    who = await _authenticate(gw, credentials)
    await _charge(gw, f"{who.key_id}:streams", gw.settings.stream_connects_per_minute, "stream connections",
                  "stream_connects_per_minute")
    return who


PrincipalDep = Annotated[Principal, Depends(get_principal)]
StreamPrincipalDep = Annotated[Principal, Depends(get_stream_principal)]


async def require_admin(gw: GatewayDep, credentials: AdminCredentials) -> None:
    if credentials is None or not same_secret(credentials.credentials, gw.settings.admin_token.get_secret_value()):
        raise _unauthorized("admin routes need `Authorization: Bearer <admin token>`")


AdminDep = Depends(require_admin)
