"""RFC 9457 problem details: every 4xx/5xx the gateway answers is application/problem+json.

Client mistakes (bad JSON, wrong types, unknown routes) become 4xx problems here and never reach a 500.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from admint.gateway.allow import allowed_methods
from admint.gateway.schemas import TEXT_PATTERN

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class ProblemError(Exception):
    """Raise anywhere in a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or str(status))
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(
    request: Request,
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _plain(value: Any) -> Any:
    """Validation contexts may hold exceptions or other non-JSON values: keep them readable, never crash."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


_MISSING = object()


def body_pointer(path: list[Any], body: Any = _MISSING, missing: bool = False) -> str:
    """RFC 6901 pointer into the request body. pydantic puts the union member it tried into `loc`
    (`variants → list[VariantOptions] → 1 → seed`); with the body at hand, a segment the body does not have is
    such a tag and is left out, so the pointer names a place in the document the client sent (`/variants/1/seed`)."""
    if body is _MISSING:
        return "/" + "/".join(str(p) for p in path)
    parts: list[str] = []
    node = body
    for n, part in enumerate(path):
        last = n == len(path) - 1
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict | list) and not (last and missing):
            continue  # a union member's tag, not a place in the body
        else:
            node = None  # a required field the body lacks (`missing`), or below a scalar: keep it as it is
        parts.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(parts)


def validation_errors(errors: Any, body: Any = _MISSING) -> list[dict[str, Any]]:
    """FastAPI/pydantic errors → [{loc, pointer, msg, type}] (inputs omitted: they may be huge or secret)."""
    out = []
    for err in errors:
        loc = [_plain(p) for p in err.get("loc", ())]
        ctx = err.get("ctx") or {}
        readable = err.get("type") == "string_pattern_mismatch" and ctx.get("pattern") == TEXT_PATTERN
        entry: dict[str, Any] = {
            "loc": loc,
            "pointer": body_pointer(loc[1:], body, err.get("type") == "missing") if loc and loc[0] == "body" else None,
            "msg": "must be text: not blank, no NUL characters" if readable else str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        if err.get("ctx"):
            entry["ctx"] = _plain(err["ctx"])
        out.append(entry)
    return out


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(request, exc.status, title=exc.title, detail=exc.detail, kind=exc.kind,
                                headers=exc.headers, **exc.extensions)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and (methods := allowed_methods(request.app.router.routes, request.url.path)):
            headers["Allow"] = ", ".join(methods)
        return problem_response(request, exc.status_code, detail=detail, headers=headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc.errors(), exc.body if isinstance(exc.body, dict | list) else _MISSING)
        summary = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem_response(request, 422, title="Request validation failed", detail=summary,
                                kind="validation", errors=errors)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(request, 500, detail="An unexpected error occurred; it has been logged.",
                                kind="internal")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_unexpected)


class Problem(BaseModel):
    """RFC 9457 problem details (extension members such as `errors` or `retry_after_s` may follow)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="URI reference naming the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong this time, for humans.")
    instance: str | None = Field(default=None, description="The request path.")


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for route decorators (moved to application/problem+json in the OpenAPI doc)."""
    return {code: {"model": Problem, "description": HTTPStatus(code).phrase} for code in codes}


def problem_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite every documented 4xx/5xx body from application/json to application/problem+json."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(code)[0] in "45" and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")
    return schema
