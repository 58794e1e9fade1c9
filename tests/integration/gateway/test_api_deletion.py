"""DELETE /v1/generations/{id} on the real stack: objects, events, brief and idempotency record go; GET says
deleted; an open feed ends; a running generation needs ?cancel=true."""

import asyncio
import json

import httpx
import pytest

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CostEntry
from admint.contracts.generation import GenerationCompleted, RenditionSummary
from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.bus import EventPublisher
from admint.core.docstore import REDACTED, GenerationRepository
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.test_sse import read_feed

pytestmark = pytest.mark.integration
BRIEF = {"brief": "A private brief about a secret product launch", "duration_s": 15}


async def stream_events(gateway: RunningGateway, gid: str) -> list[str]:
    """Event types of the generation still stored in the stream."""
    js = gateway.state.js
    sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
    found: list[str] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                return found
            found.append(json.loads(msg.data)["type"])
    finally:
        await sub.unsubscribe()


async def test_deleting_a_finished_generation_leaves_nothing_under_its_prefix(
    gateway: RunningGateway, key: str, docs: GenerationRepository, blobs: BlobStore,
) -> None:
    async with gateway.client(key) as api:
        created = await api.post("/v1/generations", json=BRIEF, headers={"Idempotency-Key": "delete-me"})
        assert created.status_code == 202, created.text
        gid = created.json()["id"]
        stored = [keys.storyboard_key(gid, 0), keys.chunk_key(gid, 0, 0), keys.last_frame_key(gid, 0, 0),
                  keys.master_key(gid), keys.export_key(gid, "9:16"), keys.poster_key(gid), keys.music_key(gid)]
        for k in stored:
            await blobs.put_bytes(k, b"media", "application/octet-stream")
        master = ArtifactRef(bucket=blobs.bucket, key=keys.master_key(gid), sha256="0" * 64, size=5,
                             content_type="video/mp4")
        await docs.record_cost(gid, CostEntry(key="chunk:0-0", stage="chunking", model="wan-i2v", units=5, usd=0.4))
        await docs.enter(gid, "completed")
        publisher = EventPublisher(gateway.state.publisher.broker, gateway.settings)
        await publisher.publish(GenerationCompleted(generation_id=gid, producer="exporter", master=master,
                                                    renditions=[RenditionSummary(aspect="9:16", video=master)],
                                                    duration_s=15))
        assert await stream_events(gateway, gid) == ["generation.requested.v1", "generation.completed.v1"]
        assert len(await blobs.list_keys(keys.generation_prefix(gid))) == len(stored)

        deleted = await api.delete(f"/v1/generations/{gid}")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["objects_deleted"] == len(stored) and deleted.json()["cancelled"] is False

        assert await blobs.list_keys(keys.generation_prefix(gid)) == []
        for method, path in (("GET", f"/v1/generations/{gid}"), ("GET", f"/v1/generations/{gid}/events"),
                             ("GET", f"/v1/generations/{gid}/video"), ("POST", f"/v1/generations/{gid}/retry")):
            gone = await api.request(method, path)
            assert gone.status_code == 410, (path, gone.text)
            assert gone.json()["type"] == "/problems/deleted" and gone.json()["deleted_at"]
        await every_generation_route_documents_its_answer(api, gid)
        assert gid not in [g["id"] for g in (await api.get("/v1/generations")).json()["items"]]
        # its events are purged; only the deletion itself is left (it carries no client data)
        assert await stream_events(gateway, gid) == ["generation.deleted.v1"]
        doc = await docs.get(gid)
        assert doc is not None and doc.spec.brief == REDACTED and doc.plan is None
        assert doc.deletion is not None and doc.deletion.completed_at is not None
        assert doc.cost_total() == 0.4 and doc.status == "completed"  # usage keeps outcome and spend
        assert await gateway.state.idempotency.get(doc.owner, "delete-me") is None
        # deleting again changes nothing and says so
        again = await api.delete(f"/v1/generations/{gid}")
        assert again.status_code == 200 and again.json()["objects_deleted"] == len(stored)


async def every_generation_route_documents_its_answer(api: httpx.AsyncClient, gid: str) -> None:
    """Each route under a (deleted) generation answers a status its OpenAPI operation lists: a client generated
    from the document must know 410 where the route can say it (the API fuzzer once found retry's undocumented)."""
    spec = (await api.get("/openapi.json")).json()
    for template, operations in spec["paths"].items():
        if not template.startswith("/v1/generations/{generation_id}"):
            continue
        path = template.format(generation_id=gid, feedback_id="fb-1", beat=0)
        for method, operation in operations.items():
            if method == "delete":
                continue
            answer = await api.request(method.upper(), path, json={} if method in ("post", "patch") else None)
            assert str(answer.status_code) in operation["responses"], (method, template, answer.text)


async def test_a_running_generation_needs_cancel_and_its_open_feed_ends(
    gateway: RunningGateway, key: str, blobs: BlobStore,
) -> None:
    async with gateway.client(key) as api, gateway.client(key) as watcher:
        gid = (await api.post("/v1/generations", json=BRIEF)).json()["id"]
        refused = await api.delete(f"/v1/generations/{gid}")
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"] == "/problems/still-running" and "cancel=true" in refused.json()["detail"]

        feed = asyncio.create_task(read_feed(watcher, gid))
        await asyncio.sleep(0.5)  # the feed is open and has sent the request event
        await blobs.put_bytes(keys.storyboard_key(gid, 0), b"frame", "image/png")
        deleted = await api.delete(f"/v1/generations/{gid}", params={"cancel": "true"})
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["cancelled"] is True and deleted.json()["objects_deleted"] == 1
        got = await asyncio.wait_for(feed, timeout=15)  # the feed ended by itself
        assert got.events[0][1] == "generation.requested.v1"
        assert got.events[-1][1] in ("generation.cancelled.v1", "generation.deleted.v1"), got.events
        assert json.loads(got.events[-1][2])["generation_id"] == gid
        assert await blobs.list_keys(keys.generation_prefix(gid)) == []
        assert (await api.get(f"/v1/generations/{gid}")).status_code == 410


async def test_another_owner_cannot_delete(gateway: RunningGateway, key: str, other_key: str) -> None:
    async with gateway.client(key) as api, gateway.client(other_key) as other:
        gid = (await api.post("/v1/generations", json=BRIEF)).json()["id"]
        assert (await other.delete(f"/v1/generations/{gid}", params={"cancel": "true"})).status_code == 404
        assert (await api.get(f"/v1/generations/{gid}")).status_code == 200
