"""The OpenAPI document, completed from the app itself so every route — today's and the ones added later — is
documented alike:

* an `operationId` on every operation (camelCase of the route function's name unless the route sets one);
* every error a route can answer, as `application/problem+json` (`Problem`): what the route declares, plus what
  its dependencies imply — an API key (401, and 429 from the per-key rate limit), the admin token (401), a body
  or parameters (400 for a body that cannot be parsed at all, e.g. not UTF-8; 413 for bodies past the size
  limit; 422), a backing service (503) — and 500 everywhere;
* `Retry-After` on every 429 and 503;
* the SSE routes' frames (`id`, `event`, `data` = one event of the registry) as a schema of their own.
"""

from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from admint.contracts.registry import EVENT_TYPES, AnyEvent
from admint.gateway.deps import get_gateway, get_principal, require_admin
from admint.gateway.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 0}}
SSE_MEDIA = "text/event-stream"


def operation_id(route: APIRoute) -> str:
    """`create_generation` → `createGeneration`: the id FastAPI uses for a route that sets none."""
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (FastAPI keeps those as router references)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from api_routes(included.routes)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def implied_errors(route: APIRoute) -> set[int]:
    """Statuses a route's dependencies and parameters can answer beside the ones it declares."""
    calls = set(_calls(route.dependant))
    codes = {500}
    if get_principal in calls:
        codes |= {401, 429}
    if require_admin in calls:
        codes.add(401)
    if get_gateway in calls:
        codes.add(503)
    has_params = route.dependant.path_params or route.dependant.query_params or route.dependant.header_params
    if route.body_field is not None or has_params:
        codes.add(422)
    if route.body_field is not None:
        codes |= {400, 413}
    return codes


def sse_frame_schema() -> dict[str, Any]:
    return {
        "title": "ServerSentEvent",
        "type": "object",
        "description": "One frame of the feed, as `id: <seq>\\nevent: <type>\\ndata: <json>\\n\\n`. `id` is the "
                       "stream sequence (send it back as `Last-Event-ID` to resume), `event` the event type, "
                       "`data` the event itself (one line of JSON). Lines starting with `:` are keep-alive "
                       "comments; the first frame is `retry: <ms>`. The feed ends after generation.completed/"
                       "failed/cancelled of the current retry round.",
        "required": ["id", "event", "data"],
        "properties": {
            "id": {"type": "integer", "minimum": 1, "description": "Stream sequence of the event."},
            "event": {"type": "string", "enum": sorted(EVENT_TYPES), "description": "Event type."},
            "data": {"$ref": "#/components/schemas/GenerationEvent"},
        },
    }


def _event_schemas() -> dict[str, Any]:
    """Every event model of the registry as components (GenerationEvent = their discriminated union)."""
    schema = TypeAdapter(AnyEvent).json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    schema["title"] = "GenerationEvent"
    schema["description"] = "Any event of a generation (the `type` field tells which); see /asyncapi.json."
    return {**defs, "GenerationEvent": schema}


IMPLIED_DESCRIPTIONS = {
    400: "The body could not be parsed at all (not UTF-8 JSON, a broken multipart form).",
}


def _error_response(code: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    response = dict(existing or {})
    response.setdefault("description", IMPLIED_DESCRIPTIONS.get(code, HTTPStatus(code).phrase))
    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    if code in (429, 503):
        response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER
    return response


def complete(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Add the implied errors, Retry-After and the SSE frame schema to FastAPI's document (in place)."""
    routes = {r.operation_id or operation_id(r): r for r in api_routes(app.router.routes)}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            route = routes.get(operation.get("operationId", ""))
            if route is None:
                continue
            responses = operation.setdefault("responses", {})
            codes = {int(c) for c in responses if str(c)[0] in "45"} | implied_errors(route)
            for code in sorted(codes):
                responses[str(code)] = _error_response(code, responses.get(str(code)))
            for response in responses.values():
                content = response.get("content", {})
                if SSE_MEDIA in content:
                    content[SSE_MEDIA] = {"schema": {"$ref": "#/components/schemas/ServerSentEvent"}}
                    components["ServerSentEvent"] = sse_frame_schema()
                    components.update(_event_schemas())
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema
