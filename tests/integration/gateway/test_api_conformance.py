"""What the schemathesis run (test_api_fuzz.py) found, each pinned down through the real API and /openapi.json."""

import re

import pytest

from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")


async def openapi(gateway: RunningGateway) -> dict:
    async with gateway.client() as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict = response.json()
    return document


def concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "01JFUZZ0000000000000000000", template)


async def test_a_405_lists_every_method_of_the_path_in_allow(gateway: RunningGateway) -> None:
    """Starlette answered from the first route that matched: `OPTIONS /v1/generations` said `Allow: POST`."""
    paths = (await openapi(gateway))["paths"]
    checked = 0
    async with gateway.client() as client:
        for template, item in paths.items():
            declared = {m.upper() for m in item if m in METHODS}
            unsupported = next(m for m in ("PUT", "PATCH", "DELETE", "POST") if m not in declared)
            response = await client.request(unsupported, concrete(template))
            assert response.status_code == 405, (template, unsupported, response.text)
            assert response.headers["content-type"].startswith(PROBLEM)
            allowed = {m.strip() for m in response.headers["allow"].split(",")} - {"HEAD"}
            assert allowed == declared, (template, response.headers["allow"])
            checked += len(declared) > 1
    assert checked >= 5  # paths with several methods, the case that was wrong


async def test_every_cursor_the_schema_allows_is_accepted_and_others_are_422(gateway: RunningGateway) -> None:
    """The cursor was base64 JSON under a bare length limit: schema-valid strings were refused with 422."""
    key = await gateway.new_key()
    document = await openapi(gateway)
    listed = {template: item["get"] for template, item in document["paths"].items()
              if any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", []))}
    assert {"/v1/generations", "/v1/assets"} <= set(listed)
    async with gateway.client(key) as client:
        for template, operation in listed.items():
            if "/admin/" in template or "{" in template:
                continue
            (cursor,) = [p for p in operation["parameters"] if p["name"] == "cursor"]
            pattern = re.compile(cursor["schema"]["anyOf"][0]["pattern"])
            for good in ("c1.0", "c1." + "z" * 64, "c1.01JFUZZ-_"):
                assert pattern.search(good)
                response = await client.get(template, params={"cursor": good})
                assert response.status_code == 200, (template, good, response.text)
                assert response.json()["items"] == []  # a fresh key owns nothing
            for bad in ("eyJ2IjoxLCJiZWZvcmUiOiIwMUpBQkMifQ", "c1.", "c1.$ne", "0" * 300):
                assert not pattern.search(bad)
                response = await client.get(template, params={"cursor": bad})
                assert response.status_code == 422, (template, bad)


async def test_pages_still_chain_through_next_cursor(gateway: RunningGateway) -> None:
    key = await gateway.new_key(max_active_generations=3)
    async with gateway.client(key) as client:
        for _ in range(3):
            created = await client.post("/v1/generations", json={"brief": "A 15 second ad for oat milk, calm."})
            assert created.status_code == 202, created.text
        seen: list[str] = []
        cursor = None
        while True:
            page = (await client.get("/v1/generations", params={"limit": 2, **({"cursor": cursor} if cursor else {})}))
            assert page.status_code == 200, page.text
            seen += [item["id"] for item in page.json()["items"]]
            if (cursor := page.json()["next_cursor"]) is None:
                break
            assert cursor.startswith("c1.")
        assert len(seen) == len(set(seen)) == 3 and seen == sorted(seen, reverse=True)


async def test_usage_days_are_iso_dates_only(gateway: RunningGateway) -> None:
    """`to=0` was read as 1970-01-01 (pydantic's lax date parsing) though the schema says `format: date`."""
    key = await gateway.new_key()
    async with gateway.client(key) as client:
        for bad in ("0", "1700000000", "2031-3-5", "20310305"):
            response = await client.get("/v1/usage", params={"to": bad})
            assert response.status_code == 422, (bad, response.text)
            assert response.headers["content-type"].startswith(PROBLEM)
        good = await client.get("/v1/usage", params={"from": "2031-03-04", "to": "2031-03-05"})
        assert good.status_code == 200, good.text
        assert good.json()["to"].startswith("2031-03-06")


async def test_a_body_that_cannot_be_parsed_is_a_documented_400(gateway: RunningGateway) -> None:
    """Not UTF-8: FastAPI answers 400 before validation; OpenAPI did not list it."""
    key = await gateway.new_key()
    document = await openapi(gateway)
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in METHODS and "requestBody" in operation:
                assert "400" in operation["responses"], operation["operationId"]
    async with gateway.client(key) as client:
        response = await client.post("/v1/generations", content=b'{"brief": "\xff\xfe"}',
                                     headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert set(response.json()) >= {"type", "title", "status"}


async def test_free_text_rules_are_in_the_schema(gateway: RunningGateway) -> None:
    """`\\x00` and blank text were refused by a validator the schema did not mention (feedback `message`, a beat's
    `feedback`, the `brief`): the pattern in /openapi.json must take exactly what the server takes."""
    key = await gateway.new_key()
    schemas = (await openapi(gateway))["components"]["schemas"]
    patterns = {schemas["GenerationCreate"]["properties"]["brief"]["pattern"],
                schemas["FeedbackCreate"]["properties"]["message"]["pattern"],
                schemas["RegenerateRequest"]["properties"]["feedback"]["anyOf"][0]["pattern"]}
    assert len(patterns) == 1
    pattern = re.compile(patterns.pop())
    async with gateway.client(key) as client:
        for text in ("ok", "\x01 oat milk", "a\x00b", "\x00", "   ", "\u3000\t", "\x1c", "\u00e9t\u00e9"):
            response = await client.post("/v1/generations/estimate", json={"brief": text})
            assert (response.status_code == 200) == bool(pattern.search(text)), (text, response.text)
            if response.status_code == 422:
                assert response.json()["errors"][0]["msg"] == "must be text: not blank, no NUL characters"
