"""The documents integrators read: OpenAPI complete (ids, problems, Retry-After, SSE frames, examples), /docs and
the AsyncAPI page served offline by the gateway itself. No servers needed: the app is built without its lifespan."""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from admint.contracts.registry import EVENT_TYPES
from admint.gateway.app import create_app
from admint.gateway.config import GatewaySettings

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield TestClient(create_app(GatewaySettings()))  # no `with`: the lifespan (servers) never starts


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_has_a_unique_camel_case_operation_id(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert all(ids) and len(ids) == len(set(ids)), ids
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", i) for i in ids), ids


def test_every_error_is_a_documented_problem(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        codes = {int(c) for c in op["responses"] if str(c)[0] in "45"}
        assert 500 in codes, (method, path)
        if path.startswith("/v1/") and not path.startswith("/v1/admin"):
            assert {401, 429, 503} <= codes, (method, path, codes)
        if "requestBody" in op:
            assert {413, 422} <= codes, (method, path)
        for code in codes:
            response = op["responses"][str(code)]
            assert list(response["content"]) == ["application/problem+json"], (method, path, code)
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"}
            if code in (429, 503):
                assert "Retry-After" in response["headers"], (method, path, code)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_sse_route_documents_its_frames_and_every_event(spec: dict[str, Any]) -> None:
    ok = spec["paths"]["/v1/generations/{generation_id}/events"]["get"]["responses"]["200"]
    assert ok["content"]["text/event-stream"]["schema"] == {"$ref": "#/components/schemas/ServerSentEvent"}
    frame = spec["components"]["schemas"]["ServerSentEvent"]
    assert set(frame["properties"]["event"]["enum"]) == set(EVENT_TYPES)
    union = spec["components"]["schemas"]["GenerationEvent"]
    mapped = set(union["discriminator"]["mapping"])
    assert mapped == set(EVENT_TYPES)


def test_json_request_bodies_carry_examples(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for path, method, op in operations(spec):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            media = content["application/json"]
            ref = media["schema"].get("$ref", "")
            named = schemas.get(ref.rsplit("/", 1)[-1], {})
            assert media.get("example") or media.get("examples") or named.get("examples"), (method, path)


def test_generation_view_documents_the_trace_id(spec: dict[str, Any]) -> None:
    field = spec["components"]["schemas"]["GenerationView"]["properties"]["trace_id"]
    assert "trace" in field["description"]


def test_docs_pages_work_offline(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        links = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
        external = [u for u in links if u.startswith(("http:", "https:", "//"))]
        assert not external, (page, external)
        for asset in re.findall(r"""(?:src|href)=["'](/[^"']+)""", html):
            assert client.get(asset).status_code == 200, asset
    assert "swagger-ui-bundle.js" in client.get("/docs").text


def test_asyncapi_is_served_as_committed_with_a_readable_page(client: TestClient) -> None:
    from importlib import resources

    committed = json.loads(resources.files("admint.contracts").joinpath("asyncapi.json").read_text())
    served = client.get("/asyncapi.json")
    assert served.status_code == 200 and served.json() == committed
    page = client.get("/asyncapi")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for event_type in EVENT_TYPES:
        assert f'id="{event_type}"' in page.text
    assert "http://" not in page.text and "https://" not in page.text
