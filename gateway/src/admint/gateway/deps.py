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


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def _unauthorized(detail: str, error: str | None = None) -> ProblemError:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return ProblemError(401, detail, kind="unauthorized", headers={"WWW-Authenticate": challenge})


async def get_principal(gw: GatewayDep, credentials: Credentials) -> Principal:
    """The caller's key → owner and limits; counts the request against the key's per-minute limit."""
    if credentials is None or not credentials.credentials:
        raise _unauthorized("send an API key as `Authorization: Bearer <key>`")
    record = await gw.keys.lookup(credentials.credentials)
    if record is None:
        raise _unauthorized("the API key is unknown or revoked", "invalid_token")
    who = principal_of(record, gw.settings.max_active_generations, gw.settings.rate_limit_per_minute,
                       default_per_day=gw.settings.generations_per_day,
                       default_per_month_usd=gw.settings.spend_per_month_usd)
    retry_after = await gw.limiter.hit(who.key_id, who.rate_limit_per_minute)
    if retry_after is not None:
        RATE_LIMITED.labels("requests_per_minute").inc()
        raise ProblemError(
            429, f"more than {who.rate_limit_per_minute} requests in a minute for this key",
            kind="rate-limited", headers={"Retry-After": str(retry_after)}, retry_after_s=retry_after,
            limit="requests_per_minute",
        )
    return who


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_admin(gw: GatewayDep, credentials: AdminCredentials) -> None:
    if credentials is None or not same_secret(credentials.credentials, gw.settings.admin_token.get_secret_value()):
        raise _unauthorized("admin routes need `Authorization: Bearer <admin token>`")


AdminDep = Depends(require_admin)
