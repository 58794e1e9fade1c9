"""The generations API against the real stack: validation, auth, ownership, limits, idempotency, cancel, video."""

import asyncio
import uuid

import httpx
import pytest

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import frame_size
from admint.contracts.export import Rendition, SpecCheck
from admint.contracts.ids import new_id
from admint.contracts.subjects import subject_for
from admint.core.document import ExportsSection
from admint.core.keys import export_key
from admint.gateway.schemas import GenerationPage, GenerationView
from tests.integration.gateway.conftest import RunningGateway, gateway_settings, serve
from tests.support import builders
from tests.support.documents import INTERNAL, completed, keys_in
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
BRIEF = "A 30 second ad for a reusable steel water bottle that keeps drinks cold for a day, for hikers."


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


async def create(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post("/v1/generations", json={"brief": BRIEF, **body})


async def test_health_ready_and_metrics(gateway: RunningGateway) -> None:
    async with gateway.client() as client:
        assert (await client.get("/healthz")).json()["status"] == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"nats": True, "mongo": True, "s3": True}
        metrics = (await client.get("/metrics")).text
        assert 'admint_gateway_requests_total{method="GET",route="/readyz",status="200"}' in metrics


async def test_requests_without_a_valid_key_are_401_problems(gateway: RunningGateway) -> None:
    async with gateway.client() as anonymous:
        body = assert_problem(await anonymous.get("/v1/generations"), 401)
        assert "Bearer" in body["detail"]
    async with gateway.client("admk_not-a-real-key") as wrong:
        response = await wrong.post("/v1/generations", json={"brief": BRIEF})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    async with gateway.client("admk_not-a-real-key") as wrong:
        assert_problem(await wrong.post("/v1/admin/keys", json={"owner": "x"}), 401)


INVALID_BODIES = {
    "empty brief": {"brief": ""},
    "blank brief": {"brief": "   \n "},
    "brief too long": {"brief": "x" * 5001},
    "brief not text": {"brief": 12},
    "missing brief": {"duration_s": 30},
    "duration too short": {"brief": BRIEF, "duration_s": 10},
    "duration too long": {"brief": BRIEF, "duration_s": 65},
    "duration not multiple of 5": {"brief": BRIEF, "duration_s": 33},
    "duration not a number": {"brief": BRIEF, "duration_s": "long"},
    "unknown aspect": {"brief": BRIEF, "aspect": "4:3"},
    "unknown rendition": {"brief": BRIEF, "renditions": ["21:9"]},
    "renditions not a list": {"brief": BRIEF, "renditions": "1:1"},
    "unknown framework": {"brief": BRIEF, "framework": "STAR"},
    "creativity below 0": {"brief": BRIEF, "creativity": -0.1},
    "creativity above 1": {"brief": BRIEF, "creativity": 1.5},
    "negative seed": {"brief": BRIEF, "seed": -1},
    "seed too large": {"brief": BRIEF, "seed": 2**40},
    "malformed asset id": {"brief": BRIEF, "product_asset_id": "../../etc"},
    "unknown asset": {"brief": BRIEF, "product_asset_id": "01JUNKNOWNASSET0000000000"},
    "unknown field": {"brief": BRIEF, "durations": 30},
    "transition too long": {"brief": BRIEF, "transition": {"kind": "crossfade", "duration_s": 5}},
    "not an object": [1, 2, 3],
}


@pytest.mark.parametrize("case", sorted(INVALID_BODIES))
async def test_every_validation_rule_answers_422_problem(gateway: RunningGateway, key: str, case: str) -> None:
    async with gateway.client(key) as client:
        body = assert_problem(await client.post("/v1/generations", json=INVALID_BODIES[case]), 422)
    assert body["errors"], body
    assert all("loc" in e and "msg" in e for e in body["errors"])


async def test_malformed_json_and_bad_parameters_are_4xx_problems(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        bad_json = await client.post("/v1/generations", content=b'{"brief": ',
                                     headers={"content-type": "application/json"})
        assert_problem(bad_json, 422)
        assert_problem(await client.get("/v1/generations", params={"limit": 101}), 422)
        assert_problem(await client.get("/v1/generations", params={"limit": 0}), 422)
        assert_problem(await client.get("/v1/generations", params={"status": "sleeping"}), 422)
        assert_problem(await client.get("/v1/generations", params={"cursor": "not-a-cursor"}), 422)
        assert_problem(await client.get("/v1/generations/has.dots"), 422)
        assert_problem(await client.get("/v1/nothing-here"), 404)
        assert_problem(await client.delete("/v1/generations"), 405)
        huge = await client.post("/v1/generations", json={"brief": "x" * 1_000_000})
        assert assert_problem(huge, 413)["limit_bytes"] == 256 * 1024
        long_key = await client.post("/v1/generations", json={"brief": BRIEF}, headers={"Idempotency-Key": "k" * 300})
        assert_problem(long_key, 422)


async def test_create_read_and_list(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        response = await create(client, duration_s=15, aspect="16:9", renditions=["9:16", "16:9", "9:16"],
                                framework="PAS", creativity=0.2, seed=7)
        assert response.status_code == 202, response.text
        accepted = response.json()
        gid = accepted["id"]
        assert accepted["status"] == "queued"
        assert accepted["links"]["events"] == f"/v1/generations/{gid}/events"
        assert response.headers["location"] == f"/v1/generations/{gid}"

        view = (await client.get(f"/v1/generations/{gid}")).json()
        spec = view["spec"]
        assert spec["size"] == {"width": 320, "height": 180}
        assert spec["renditions"] == ["9:16"]
        assert (spec["duration_s"], spec["framework"], spec["seed"], spec["fps"]) == (15, "PAS", 7, 30)
        assert view["costs"] == {"total_usd": 0.0, "entries": [], "by_stage": [], "by_model": [],
                                 "estimated_usd": 0.0, "projected_usd": None, "max_cost_usd": None}
        assert "owner" not in view and "request_hash" not in view

        second = (await create(client)).json()["id"]
        listed = (await client.get("/v1/generations")).json()
        assert [item["id"] for item in listed["items"]][:2] == [second, gid]
        page_one = (await client.get("/v1/generations", params={"limit": 1})).json()
        assert [i["id"] for i in page_one["items"]] == [second] and page_one["next_cursor"]
        page_two = (await client.get("/v1/generations", params={"limit": 1, "cursor": page_one["next_cursor"]})).json()
        assert [i["id"] for i in page_two["items"]] == [gid] and page_two["next_cursor"] is None
        assert (await client.get("/v1/generations", params={"status": "completed"})).json()["items"] == []

    stored = await gateway.state.docs.get(gid)
    assert stored is not None and stored.request.published_at is not None
    assert stored.request.key_id and stored.request.request_hash and stored.request.idempotency_key is None
    msg = await gateway.state.js.get_last_msg("ADMINT", subject_for(gid, "generation.requested.v1"))
    assert b'"owner"' in msg.data and gid.encode() in msg.data


async def test_seed_is_chosen_when_omitted_and_kept(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = (await create(client)).json()["id"]
        seed = (await client.get(f"/v1/generations/{gid}")).json()["spec"]["seed"]
    assert isinstance(seed, int) and seed >= 0


async def test_another_key_cannot_see_cancel_download_or_follow(
    gateway: RunningGateway, key: str, other_key: str
) -> None:
    async with gateway.client(key) as mine:
        gid = (await create(mine)).json()["id"]
    async with gateway.client(other_key) as theirs:
        for response in (
            await theirs.get(f"/v1/generations/{gid}"),
            await theirs.post(f"/v1/generations/{gid}/cancel"),
            await theirs.get(f"/v1/generations/{gid}/video"),
            await theirs.get(f"/v1/generations/{gid}/events"),
        ):
            assert_problem(response, 404)
        assert all(item["id"] != gid for item in (await theirs.get("/v1/generations")).json()["items"])
    assert (await gateway.state.docs.status(gid)) == "queued"


async def test_cancel_publishes_and_refuses_twice(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = (await create(client)).json()["id"]
        response = await client.post(f"/v1/generations/{gid}/cancel")
        assert response.status_code == 202 and response.json()["status"] == "cancelled"
        again = assert_problem(await client.post(f"/v1/generations/{gid}/cancel"), 409)
        assert again["generation_status"] == "cancelled"
        assert_problem(await client.get(f"/v1/generations/{gid}/video"), 409)
        assert (await client.get(f"/v1/generations/{gid}")).json()["status"] == "cancelled"
    msg = await gateway.state.js.get_last_msg("ADMINT", subject_for(gid, "generation.cancelled.v1"))
    assert b'"requested_by"' in msg.data


async def test_concurrent_generation_limit_answers_429_with_retry_after(gateway: RunningGateway) -> None:
    key = await gateway.new_key(max_active_generations=2)
    async with gateway.client(key) as client:
        first = (await create(client)).json()["id"]
        assert (await create(client)).status_code == 202
        refused = await create(client)
        body = assert_problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1 and body["limit"] == "active_generations"
        await client.post(f"/v1/generations/{first}/cancel")
        assert (await create(client)).status_code == 202


async def test_a_burst_of_creates_is_admitted_up_to_the_limit_exactly(
    gateway: RunningGateway, stack: TestStack
) -> None:
    """Issue 17 overload: concurrent POSTs of one key on two gateway replicas passed a count-then-insert check
    together (nothing was running yet); the slots are taken by a conditional update now, so exactly the limit
    gets in, the rest 429, and no refused request leaves a document behind. A finished generation frees its slot."""
    second, server, task = await serve(gateway_settings(stack))
    key = await gateway.new_key(max_active_generations=3)
    try:
        async with gateway.client(key, limits=httpx.Limits(max_connections=40)) as one, \
                second.client(key, limits=httpx.Limits(max_connections=40)) as two:
            answers = await asyncio.gather(*(create(c) for _ in range(20) for c in (one, two)))
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)
    async with gateway.client(key) as client:
        accepted = [r.json()["id"] for r in answers if r.status_code == 202]
        refused = [r for r in answers if r.status_code != 202]
        assert len(accepted) == 3, sorted(r.status_code for r in answers)
        for response in refused:
            assert assert_problem(response, 429)["limit"] == "active_generations"
            assert int(response.headers["retry-after"]) >= 1
        listed = (await client.get("/v1/generations", params={"limit": 100})).json()["items"]
        assert sorted(g["id"] for g in listed) == sorted(accepted)
        me = (await client.get("/v1/me")).json()
        assert me["active_generations"] == 3 and me["active_by_status"] == [{"status": "queued", "count": 3}]
        assert me["queue_depth"] >= 3
        await client.post(f"/v1/generations/{accepted[0]}/cancel")
        assert (await create(client)).status_code == 202
        assert_problem(await create(client), 429)


async def test_request_rate_limit_answers_429_with_retry_after(gateway: RunningGateway) -> None:
    key = await gateway.new_key(rate_limit_per_minute=3)
    async with gateway.client(key) as client:
        for _ in range(3):
            assert (await client.get("/v1/generations")).status_code == 200
        refused = await client.get("/v1/generations")
        body = assert_problem(refused, 429)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert body["limit"] == "requests_per_minute"
    async with gateway.client(await gateway.new_key()) as fresh:  # limits are per key
        assert (await fresh.get("/v1/generations")).status_code == 200


async def test_request_rate_limit_is_shared_by_every_gateway_replica(
    gateway: RunningGateway, stack: TestStack
) -> None:
    """Two replicas (as behind a load balancer): the key's limit counts the requests both of them see."""
    second, server, task = await serve(gateway_settings(stack))
    try:
        key = await gateway.new_key(rate_limit_per_minute=4)
        async with gateway.client(key) as one, second.client(key) as two:
            answers = [(await client.get("/v1/generations")).status_code for client in (one, two, one, two)]
            assert answers == [200, 200, 200, 200]
            refused = [await one.get("/v1/generations"), await two.get("/v1/generations")]
        for response in refused:
            assert_problem(response, 429)
            assert 1 <= int(response.headers["retry-after"]) <= 120
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


async def test_a_burst_of_concurrent_requests_gets_exactly_the_limit(gateway: RunningGateway) -> None:
    """The per-key state is moved by compare-and-set: racing requests neither slip past the limit nor lose
    the allowance to each other."""
    key = await gateway.new_key(rate_limit_per_minute=5)
    async with gateway.client(key) as client:
        answers = await asyncio.gather(*(client.get("/v1/generations") for _ in range(12)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * 5 + [429] * 7


async def test_many_concurrent_requests_far_below_the_limit_are_never_refused(
    gateway: RunningGateway,
) -> None:
    """Issue 17: racing requests of one key are not over its limit (they were 429s when losing a CAS race)."""
    key = await gateway.new_key(rate_limit_per_minute=100_000)
    async with gateway.client(key, limits=httpx.Limits(max_connections=150)) as client:
        answers = await asyncio.gather(*(client.get("/v1/generations") for _ in range(150)))
    assert [r.status_code for r in answers] == [200] * 150, {r.status_code: r.text for r in answers}


async def test_idempotency_key_returns_the_same_generation(gateway: RunningGateway) -> None:
    key = await gateway.new_key(max_active_generations=10)
    idem = {"Idempotency-Key": f"order-{uuid.uuid4()}"}
    async with gateway.client(key) as client:
        first = await client.post("/v1/generations", json={"brief": BRIEF, "seed": 3}, headers=idem)
        # same request, spelled differently (key order, explicit default): same generation
        again = await client.post("/v1/generations", json={"seed": 3, "duration_s": 30, "brief": BRIEF}, headers=idem)
        assert first.status_code == again.status_code == 202
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        conflict = assert_problem(
            await client.post("/v1/generations", json={"brief": BRIEF, "seed": 4}, headers=idem), 409
        )
        assert conflict["generation_id"] == first.json()["id"]
        other = await client.post("/v1/generations", json={"brief": BRIEF, "seed": 3})
        assert other.json()["id"] != first.json()["id"]

        racing = {"Idempotency-Key": f"race-{uuid.uuid4()}"}
        answers = await asyncio.gather(*(
            client.post("/v1/generations", json={"brief": "race " + BRIEF}, headers=racing) for _ in range(4)
        ))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    gid = answers[0].json()["id"]
    sub = await gateway.state.js.subscribe(subject_for(gid, "generation.requested.v1"), ordered_consumer=True)
    try:
        await sub.next_msg(timeout=5)
        with pytest.raises(TimeoutError):
            await sub.next_msg(timeout=0.5)
    finally:
        await sub.unsubscribe()
    stored = await gateway.state.docs.get(first.json()["id"])
    assert stored is not None and stored.request.idempotency_key == idem["Idempotency-Key"]


async def test_video_redirects_to_a_presigned_url_once_completed(gateway: RunningGateway, key: str) -> None:
    state = gateway.state
    async with gateway.client(key) as client:
        gid = (await create(client, aspect="9:16", renditions=["1:1"])).json()["id"]
        not_ready = assert_problem(await client.get(f"/v1/generations/{gid}/video"), 409)
        assert not_ready["generation_status"] == "queued"
        payload = b"\x00\x00\x00\x18ftypmp42 fake video bytes"
        ref = await state.blobs.put_bytes(export_key(gid, "1:1"), payload, "video/mp4")
        master = await state.blobs.put_bytes(export_key(gid, "9:16"), payload + b"master", "video/mp4")
        await state.docs.record_exports(gid, ExportsSection(  # what the exporter records
            renditions=[rendition("9:16", master), rendition("1:1", ref)],
            poster=builders.ref(f"generations/{gid}/exports/poster.jpg", "image/jpeg"),
            thumbnail=builders.ref(f"generations/{gid}/exports/thumbnail.jpg", "image/jpeg"),
        ))
        assert await state.docs.complete(gid, 0.0)
        response = await client.get(f"/v1/generations/{gid}/video", params={"rendition": "1x1"})
        assert response.status_code == 307
        location = response.headers["location"]
        assert "X-Amz-Signature" in location
        async with httpx.AsyncClient() as anonymous:  # the link itself needs no API key
            assert (await anonymous.get(location)).content == payload
        master_redirect = await client.get(f"/v1/generations/{gid}/video")
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(master_redirect.headers["location"])).content == payload + b"master"
        as_json = (await client.get(f"/v1/generations/{gid}/video", params={"redirect": "false"})).json()
        assert as_json["rendition"] == "9:16" and "X-Amz-Signature" in as_json["url"]
        saved = (await client.get(f"/v1/generations/{gid}/video",
                                  params={"redirect": "false", "download": "true", "rendition": "1:1"})).json()
        async with httpx.AsyncClient() as anonymous:  # a link browsers save instead of playing (the studio's downloads)
            got = await anonymous.get(saved["url"])
        assert got.content == payload
        assert got.headers["content-disposition"] == f'attachment; filename="admint-{gid}-1x1.mp4"'
        assert_problem(await client.get(f"/v1/generations/{gid}/video", params={"rendition": "16:9"}), 404)
        assert_problem(await client.get(f"/v1/generations/{gid}/video", params={"rendition": "4:3"}), 404)
        view = (await client.get(f"/v1/generations/{gid}")).json()
        assert view["status"] == "completed"
        assert all("X-Amz-Signature" in r["url"] and r["url"] == r["video"]["url"] for r in view["renditions"])
        assert [r["spec_check"]["passed"] for r in view["renditions"]] == [True, True]
        assert_problem(await client.post(f"/v1/generations/{gid}/cancel"), 409)


def rendition(aspect: str, video: ArtifactRef) -> Rendition:
    return Rendition(aspect=aspect, size=frame_size(aspect, 320), method="master" if aspect == "9:16" else "crop",
                     video=video, url="http://stale.example", url_expires_at=builders.WHEN,
                     spec_check=SpecCheck(passed=True))


async def test_a_completed_generation_reads_as_exactly_the_response_model(gateway: RunningGateway) -> None:
    """Every section written, internal bookkeeping included: the answer is the documented model, field for field
    (extra="forbid"), with fresh links, and no internal field at any depth."""
    owner = f"view-{uuid.uuid4().hex[:10]}"
    key = await gateway.new_key(owner)
    gid = new_id()
    assert await gateway.state.docs.create(completed(gid, owner=owner))
    async with gateway.client(key) as client:
        response = await client.get(f"/v1/generations/{gid}")
        listed = (await client.get("/v1/generations")).json()
    assert response.status_code == 200, response.text
    body = response.json()
    view = GenerationView.model_validate(body)
    assert set(body) == set(GenerationView.model_fields) and "cancel" not in body
    assert not INTERNAL & keys_in(body), INTERNAL & keys_in(body)
    assert "secret detail" not in response.text
    assert view.status == "completed" and [f.beat_index for f in view.frames] == [2, 10]
    assert all("X-Amz-Signature" in a.url for a in (view.frames[0].image, view.chunks[1].video, view.poster))
    assert view.renditions[0].url == view.renditions[0].video.url and view.renditions[0].spec_check.passed
    assert GenerationPage.model_validate(listed).items[0].id == gid


async def test_security_headers_and_the_page_csp(gateway: RunningGateway) -> None:
    async with gateway.client() as client:
        page, api = await client.get("/ui/"), await client.get("/healthz")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert "media-src 'self' data: blob: http://127.0.0.1:" in csp  # presigned videos from the object store
    for response in (page, api):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer" and response.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_web_page_and_openapi_document(gateway: RunningGateway) -> None:
    async with gateway.client() as client:
        root = await client.get("/")
        assert root.status_code == 307 and root.headers["location"] == "/ui/"
        page = await client.get("/ui/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        script = await client.get("/ui/app.js")
        assert script.status_code == 200 and 'from "./js/generation.js"' in script.text  # an ES module entry
        modules = {name: (await client.get(f"/ui/js/{name}.js")).text for name in ("sse", "api", "library")}
        assert "Last-Event-ID" in modules["sse"] and "retry-after" in modules["api"]
        assert "/v1/generations" in modules["library"]
        assert not any("randomUUID(" in text for text in modules.values())  # needs a secure context: not on a LAN
        assert "<script>" not in page.text and " style=" not in page.text  # nothing inline: the CSP forbids it
        schema = (await client.get("/openapi.json")).json()
        create_op = schema["paths"]["/v1/generations"]["post"]
        assert "application/problem+json" in create_op["responses"]["422"]["content"]
        assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
        assert (await client.get("/docs")).status_code == 200
