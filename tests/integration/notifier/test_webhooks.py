"""Webhooks end to end on the real stack: API → bus event → notifier process → a real HTTP receiver on loopback.

Signatures are verified with the `standardwebhooks` package (an independent implementation of the spec).
"""

import asyncio
import itertools
import json
import time
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.generation import GenerationCompleted, GenerationFailed, RenditionSummary
from admint.core.bus import EventPublisher
from admint.core.docstore import GenerationRepository
from admint.devstack.processes import ServiceProcess
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.notifier.conftest import (
    create_endpoint,
    new_generation,
    notifier_process,
    owner_of,
    publish,
)
from tests.support.receiver import Receiver
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


def completed(gid: str) -> GenerationCompleted:
    master = ArtifactRef(bucket="admint", key=f"generations/{gid}/master.mp4", sha256="0" * 64, size=10,
                         content_type="video/mp4")
    return GenerationCompleted(generation_id=gid, producer="exporter", master=master, duration_s=15.0,
                               renditions=[RenditionSummary(aspect="9:16", video=master)], total_cost_usd=0.42)


def failed(gid: str) -> GenerationFailed:
    return GenerationFailed(generation_id=gid, producer="chunker", stage="chunking", reason="model refused")


async def deliveries(api: httpx.AsyncClient, endpoint_id: str, gid: str, *, until: str | None = None,
                     timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = await api.get(f"/v1/webhooks/{endpoint_id}/deliveries", params={"generation_id": gid})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        if until is None or (items and all(d["status"] == until for d in items)):
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries of {gid} did not reach {until}: {items}")
        await asyncio.sleep(0.2)


async def test_signed_messages_verify_and_rotation_overlaps(
    gateway: RunningGateway, key: str, notifier: ServiceProcess, docs: GenerationRepository,
    publisher: EventPublisher,
) -> None:
    receiver = await Receiver().start()
    try:
        async with gateway.client(key) as api:
            owner = await owner_of(gateway, key)
            endpoint = await create_endpoint(api, receiver.url, event_types=["generation.completed",
                                                                             "generation.failed"])
            old_secret = endpoint["secret"]
            assert "secret" not in (await api.get(f"/v1/webhooks/{endpoint['id']}")).json()

            gid = await new_generation(docs, owner)
            await publish(publisher, completed(gid))
            (first,) = await receiver.wait_for(1)
            message = Webhook(old_secret).verify(first.body, first.headers)
            assert message["type"] == "generation.completed"
            assert message["data"]["generation_id"] == gid and message["data"]["status"] == "completed"
            assert message["data"]["event"]["total_cost_usd"] == 0.42
            assert message["data"]["links"]["video"].endswith(f"/v1/generations/{gid}/video")
            assert first.headers["webhook-id"].startswith("msg_")
            with pytest.raises(WebhookVerificationError):  # a different secret does not verify
                Webhook("whsec_" + "QUJD" * 8).verify(first.body, first.headers)
            with pytest.raises(WebhookVerificationError):  # nor does an altered body
                Webhook(old_secret).verify(first.body.replace(b"0.42", b"0.01"), first.headers)

            (recorded,) = await deliveries(api, endpoint["id"], gid, until="succeeded")
            assert recorded["webhook_id"] == first.headers["webhook-id"]
            assert [a["status_code"] for a in recorded["attempts"]] == [200]
            assert recorded["attempts"][0]["latency_ms"] >= 0

            # rotation with an overlap: both secrets sign, so receivers can switch without losing a message
            rotated = await api.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret", json={"overlap_s": 3600})
            assert rotated.status_code == 200, rotated.text
            new_secret = rotated.json()["secret"]
            assert new_secret != old_secret and rotated.json()["previous_expires_at"]
            gid2 = await new_generation(docs, owner)
            await publish(publisher, failed(gid2))
            second = (await receiver.wait_for(2))[1]
            assert len(second.headers["webhook-signature"].split(" ")) == 2
            assert Webhook(new_secret).verify(second.body, second.headers)["type"] == "generation.failed"
            assert Webhook(old_secret).verify(second.body, second.headers)["data"]["generation_id"] == gid2

            # without an overlap the old secret stops signing at once
            await api.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret", json={"overlap_s": 0})
            listed = (await api.get(f"/v1/webhooks/{endpoint['id']}")).json()
            assert len(listed["secrets"]) == 1 and listed["secrets"][0]["expires_at"] is None
    finally:
        await receiver.stop()


async def test_a_failing_receiver_gets_three_attempts_with_growing_delays_then_one_success(
    gateway: RunningGateway, key: str, notifier: ServiceProcess, docs: GenerationRepository,
    publisher: EventPublisher,
) -> None:
    receiver = await Receiver(statuses=[500, 500, 200]).start()
    try:
        async with gateway.client(key) as api:
            endpoint = await create_endpoint(api, receiver.url)
            gid = await new_generation(docs, await owner_of(gateway, key))
            await publish(publisher, completed(gid))
            got = await receiver.wait_for(3)
            await asyncio.sleep(1.5)  # no fourth attempt follows the success
            assert len(receiver.requests) == 3
            assert len({r.headers["webhook-id"] for r in got}) == 1
            assert len({r.body for r in got}) == 1
            gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
            assert 0.3 < gaps[0] < gaps[1], gaps  # schedule 0.6 s then 1.8 s, ±20 % jitter
            for request in got:  # each attempt is signed afresh (its own timestamp) and verifies
                Webhook(endpoint["secret"]).verify(request.body, request.headers)

            (recorded,) = await deliveries(api, endpoint["id"], gid, until="succeeded")
            assert [a["status_code"] for a in recorded["attempts"]] == [500, 500, 200]
            assert [a["number"] for a in recorded["attempts"]] == [1, 2, 3]
            assert recorded["attempts"][0]["error"] == "HTTP 500"
            assert recorded["attempts"][0]["response"] == "receiver says no"
            health = (await api.get(f"/v1/webhooks/{endpoint['id']}")).json()
            assert health["consecutive_failures"] == 0 and health["enabled"]
    finally:
        await receiver.stop()


async def test_a_down_receiver_gets_every_event_after_the_notifier_was_killed_and_restarted(
    gateway: RunningGateway, key: str, notifier: ServiceProcess, docs: GenerationRepository,
    publisher: EventPublisher,
) -> None:
    receiver = Receiver()  # not listening yet: connections are refused
    async with gateway.client(key) as api:
        endpoint = await create_endpoint(api, receiver.url)
        owner = await owner_of(gateway, key)
        early = [await new_generation(docs, owner) for _ in range(3)]
        for gid in early:
            await publish(publisher, completed(gid))
        for gid in early:  # each was attempted and failed, and waits for its next attempt
            deadline = time.monotonic() + 20
            while not (items := await deliveries(api, endpoint["id"], gid)) or not items[0]["attempts"]:
                assert time.monotonic() < deadline, items
                await asyncio.sleep(0.2)
            assert items[0]["status"] == "pending" and "ConnectError" in items[0]["attempts"][0]["error"]

        notifier.kill()  # kill -9, in the middle of retrying
        late = [await new_generation(docs, owner) for _ in range(2)]
        for gid in late:  # published while no notifier runs: the durable consumer keeps them
            await publish(publisher, failed(gid))
        await receiver.start()
        notifier.start()

        got = await receiver.wait_for(5, timeout_s=60)
        await asyncio.sleep(1.0)
        by_generation: dict[str, set[str]] = {}
        for request in receiver.requests:
            message = Webhook(endpoint["secret"]).verify(request.body, request.headers)
            by_generation.setdefault(message["data"]["generation_id"], set()).add(request.headers["webhook-id"])
        assert set(by_generation) == set(early + late), by_generation
        # duplicates (a lease that ran out, a redelivery) carry the same webhook-id: one id per event
        assert all(len(ids) == 1 for ids in by_generation.values()), by_generation
        assert len({i for ids in by_generation.values() for i in ids}) == 5
        for gid in early + late:
            (recorded,) = await deliveries(api, endpoint["id"], gid, until="succeeded")
            assert recorded["attempts"][-1]["status_code"] == 200

        # a manual redelivery is a true duplicate: same webhook-id, same body
        target = early[0]
        (done,) = await deliveries(api, endpoint["id"], target)
        again = await api.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{done['id']}/redeliver")
        assert again.status_code == 202, again.text
        more = await receiver.wait_for(len(got) + 1)
        first = next(r for r in got if json.loads(r.body)["data"]["generation_id"] == target)
        assert more[-1].headers["webhook-id"] == first.headers["webhook-id"] and more[-1].body == first.body
        (after,) = await deliveries(api, endpoint["id"], target, until="succeeded")
        assert after["redeliveries"] == 1 and len(after["attempts"]) == len(done["attempts"]) + 1
    await receiver.stop()


async def test_per_request_callbacks_are_signed_with_the_request_secret(
    gateway: RunningGateway, key: str, notifier: ServiceProcess,
) -> None:
    receiver = await Receiver().start()
    try:
        async with gateway.client(key) as api:
            body = {"brief": "a callback test", "duration_s": 15, "webhook_url": receiver.url}
            refused = await api.post("/v1/generations", json=body)
            assert refused.status_code == 422, refused.text
            assert "/v1/webhooks/request/rotate-secret" in refused.json()["detail"]

            made = await api.post("/v1/webhooks/request/rotate-secret")
            assert made.status_code == 200, made.text
            secret = made.json()["secret"]
            created = await api.post("/v1/generations", json=body)
            assert created.status_code == 202, created.text
            gid = created.json()["id"]
            assert (await api.post(f"/v1/generations/{gid}/cancel")).status_code == 202

            (request,) = await receiver.wait_for(1)
            message = Webhook(secret).verify(request.body, request.headers)
            assert message["type"] == "generation.cancelled" and message["data"]["generation_id"] == gid
            (recorded,) = await deliveries(api, "request", gid, until="succeeded")
            assert recorded["url"] == receiver.url and recorded["endpoint_id"] == "request"
    finally:
        await receiver.stop()


async def test_an_endpoint_that_keeps_failing_is_disabled_with_the_reason(
    stack: TestStack, gateway: RunningGateway, key: str, notifier: ServiceProcess,
    docs: GenerationRepository, publisher: EventPublisher, tmp_path: Path,
) -> None:
    receiver = await Receiver(statuses=[503] * 100).start()
    notifier.kill()
    strict = notifier_process(stack, tmp_path, ADMINT_WEBHOOK_DISABLE_AFTER_FAILURES="3",
                              ADMINT_WEBHOOK_DISABLE_AFTER_S="0").start()
    try:
        async with gateway.client(key) as api:
            endpoint = await create_endpoint(api, receiver.url)
            gid = await new_generation(docs, await owner_of(gateway, key))
            await publish(publisher, completed(gid))
            deadline = time.monotonic() + 30
            while (view := (await api.get(f"/v1/webhooks/{endpoint['id']}")).json())["enabled"]:
                assert time.monotonic() < deadline, view
                await asyncio.sleep(0.2)
            assert "HTTP 503" in view["disabled_reason"] and view["disabled_at"]
            assert view["consecutive_failures"] >= 3
            (recorded,) = await deliveries(api, endpoint["id"], gid, until="failed")
            assert "disabled" in recorded["final_error"]
            # the owner sees why, fixes the receiver and enables it again
            receiver.statuses.clear()
            enabled = await api.patch(f"/v1/webhooks/{endpoint['id']}", json={"enabled": True})
            assert enabled.json()["enabled"] and enabled.json()["disabled_reason"] is None
    finally:
        strict.terminate(timeout_s=20)
        notifier.start()
        await receiver.stop()
