"""Fault injection on the real local stack with every service as its own process (issue 7).

Each test runs several generations at once, breaks something, and audits documents, objects and the event
stream at the end: every generation terminal, completed ones with exactly the expected objects, no duplicate
derived events. Each prints a one-line summary.
"""

import json
import threading
import time

import httpx
import pytest

from admint.core.topology import SERVICES
from tests.faults.conftest import audit
from tests.support.sse import read_events

pytestmark = pytest.mark.faults

FAST = {"ADMINT_ACK_WAIT_S": "8"}


def after_the_end(events: list, terminal: str) -> set[str]:
    """Event types a feed showed after its terminal event (only the scorer's may come after it)."""
    kinds = [e.event for e in events]
    assert terminal in kinds, kinds
    return set(kinds[kinds.index(terminal) + 1:])


def test_kill_9_each_worker_mid_generation(system_factory) -> None:
    with system_factory(env=FAST) as system:
        ids = system.submit(2, seed=10)
        for round_, name in enumerate([*SERVICES, "chunker"]):
            victim = system.stack.services[f"{name}-0"]
            system.wait_for(ids[-1], lambda d: d["status"] not in ("queued",), timeout_s=60)
            victim.kill()
            ids += system.submit(1, seed=20 + round_)  # work arrives while it is down
            time.sleep(0.5)
            victim.start()
        statuses = system.wait_terminal(ids, timeout_s=420)
        assert set(statuses.values()) == {"completed"}, system.explain(statuses)
        audit(system, ids, "kill -9 each worker")


def test_kill_9_gateway_while_clients_stream(system_factory) -> None:
    with system_factory(env=FAST) as system:
        ids = system.submit(2, seed=30)
        received: dict[str, list] = {gid: [] for gid in ids}
        errors: list[str] = []

        def follow(gid: str) -> None:
            url = f"/v1/generations/{gid}/events"
            last = None
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    with httpx.Client(base_url=system.stack.api_url,
                                      headers={"Authorization": f"Bearer {system.api_key}"}) as client:
                        for event in read_events(client, url, last_event_id=last):
                            received[gid].append(event)
                            last = event.id
                    if any(e.event.startswith("generation.c") for e in received[gid]):
                        return  # the server ended the feed after the end (and the scores that came after it)
                except (httpx.HTTPError, json.JSONDecodeError):
                    time.sleep(0.3)  # the gateway is down: reconnect with Last-Event-ID
            errors.append(f"{gid}: feed never ended")

        threads = [threading.Thread(target=follow, args=(gid,)) for gid in ids]
        for t in threads:
            t.start()
        while not all(received.values()):
            time.sleep(0.1)
        assert system.stack.gateway is not None
        system.stack.gateway.kill()
        time.sleep(1.0)
        system.stack.gateway.start()
        for t in threads:
            t.join(timeout=320)
        assert not errors, errors
        for gid in ids:
            full = read_events(system.client, f"/v1/generations/{gid}/events")
            assert [e.id for e in received[gid]] == [e.id for e in full], gid
            assert after_the_end(received[gid], "generation.completed.v1") <= {"quality.scored.v1"}
        audit(system, ids, "kill -9 gateway during SSE")


def test_restart_nats_mid_run(system_factory) -> None:
    with system_factory(env=FAST) as system:
        ids = system.submit(3, seed=40)
        system.wait_for(ids[0], lambda d: d["status"] in ("chunking", "stitching", "exporting", "completed"))
        seconds = system.stack.local.restart("nats")
        assert seconds < 30
        statuses = system.wait_terminal(ids, timeout_s=420)
        assert set(statuses.values()) == {"completed"}, system.explain(statuses)
        audit(system, ids, "restart NATS")


def test_restart_mongo_and_s3_mid_run(system_factory) -> None:
    with system_factory(env=FAST) as system:
        ids = system.submit(3, seed=50)
        system.wait_for(ids[0], lambda d: d["status"] in ("storyboarding", "chunking", "stitching"))
        system.stack.local.restart("mongo")
        system.wait_for(ids[1], lambda d: d["status"] in ("chunking", "stitching", "exporting", "completed"))
        system.stack.local.restart("s3")
        statuses = system.wait_terminal(ids, timeout_s=420)
        assert set(statuses.values()) == {"completed"}, system.explain(statuses)
        audit(system, ids, "restart Mongo-wire and S3")


def test_flaky_provider_half_the_time(system_factory) -> None:
    chaos = json.dumps({"image": {"transient_rate": 0.5}, "video": {"transient_rate": 0.5}})
    with system_factory(env={**FAST, "ADMINT_CHAOS": chaos}) as system:
        ids = system.submit(3, seed=60)
        statuses = system.wait_terminal(ids, timeout_s=420)
        assert set(statuses.values()) == {"completed"}, system.explain(statuses)
        retries = sum(
            float(line.rsplit(" ", 1)[1])
            for name in ("storyboard-0", "chunker-0")
            for line in system.stack.services[name].metrics().splitlines()
            if line.startswith("admint_retries_total{")
        )
        print(f"retries visible in metrics: {retries:.0f}")
        assert retries > 0
        audit(system, ids, "provider fails transiently 50%")


def test_provider_fails_permanently_for_one_beat(system_factory) -> None:
    chaos = json.dumps({"image": {"permanent_seed": 666, "permanent_beat": 1}})
    with system_factory(env={**FAST, "ADMINT_CHAOS": chaos}) as system:
        doomed = system.submit(1, seed=666)[0]
        others = system.submit(2, seed=70)
        statuses = system.wait_terminal([doomed, *others], timeout_s=420)
        error = system.status(doomed)["error"]
        assert statuses[doomed] == "failed" and error["stage"] == "storyboard"
        assert "refused beat 1" in error["reason"]
        audit(system, [doomed, *others], "permanent provider failure", expect_failed={doomed})


def test_poison_messages_are_parked(system_factory) -> None:
    import asyncio

    from admint.core.bus import connect_nats

    with system_factory(env=FAST) as system:
        [undecodable, crashing] = system.submit(2, seed=80)
        system.wait_for(crashing, lambda d: d["status"] in ("chunking", "stitching", "exporting", "completed"))

        async def publish() -> None:
            nc = await connect_nats(system.settings)
            js = nc.jetstream()
            await js.publish(f"gen.{undecodable}.chunk.requested.v1", b"\x00\x01 not an event", stream="ADMINT")
            sample = json.loads(open("tests/contract/samples/chunk.requested.v1.json").read())
            sample.update(generation_id=crashing, beat_index=9, attempt=0)
            sample["init_frame"]["key"] = f"generations/{crashing}/storyboard/missing.png"
            await js.publish(f"gen.{crashing}.chunk.requested.v1", json.dumps(sample).encode(), stream="ADMINT")
            await nc.close()

        asyncio.run(publish())
        healthy = system.submit(2, seed=90)
        statuses = system.wait_terminal([undecodable, crashing, *healthy], timeout_s=420)
        assert statuses[undecodable] == "failed"
        assert "could not process a message" in system.status(undecodable)["error"]["reason"]
        assert all(statuses[g] == "completed" for g in healthy)
        chunker = system.stack.services["chunker-0"].metrics()
        assert 'admint_dead_lettered_total{event_type="chunk.requested.v1"' in chunker
        audit(system, [undecodable, *healthy], "poison message", expect_failed={undecodable})


def test_cancel_mid_chunking(system_factory) -> None:
    with system_factory(env={**FAST, "ADMINT_OFFLINE_CHUNK_DURATION_S": "2"}) as system:  # many short chunks
        [victim] = system.submit(1, seed=100, duration_s=30)
        others = system.submit(2, seed=110)
        system.wait_for(victim, lambda d: d["status"] == "chunking", timeout_s=120)
        assert system.client.post(f"/v1/generations/{victim}/cancel").status_code == 202
        statuses = system.wait_terminal([victim, *others], timeout_s=420)
        assert statuses[victim] == "cancelled"
        time.sleep(3)  # in-flight chunks may still finish: they must not start a later stage
        events = [e.event for e in read_events(system.client, f"/v1/generations/{victim}/events")]
        assert "stitch.completed.v1" not in events and "export.completed.v1" not in events
        doc = system.status(victim)
        assert doc["status"] == "cancelled" and doc.get("master") in (None, {})
        audit(system, [victim, *others], "cancel mid-chunking", expect_cancelled={victim})


def test_retry_reruns_only_the_missing_pieces(system_factory) -> None:
    from minio import Minio

    chaos = json.dumps({"video": {"permanent_seed": 777, "permanent_beat": 1}})
    with system_factory(env={**FAST, "ADMINT_CHAOS": chaos}) as system:
        [gid] = system.submit(1, seed=777)
        failed = system.wait_for(gid, lambda d: d["status"] in ("failed", "completed"), timeout_s=240)
        assert failed["status"] == "failed" and failed["error"]["stage"] == "chunking", failed.get("error")
        time.sleep(3)  # chunks of other beats already in flight still land (and are listed in the document)
        env = system.stack.env
        s3 = Minio(env["ADMINT_S3_ENDPOINT"], access_key=env["ADMINT_S3_ACCESS_KEY"],
                   secret_key=env["ADMINT_S3_SECRET_KEY"], secure=False)
        before = {o.object_name: o.etag for o in s3.list_objects("admint", f"generations/{gid}/", recursive=True)}
        stored_chunks = {k.rsplit("/", 1)[1].removesuffix(".mp4") for k in before if k.endswith(".mp4")}
        assert stored_chunks and not any(c.startswith("1-") for c in stored_chunks), stored_chunks

        chunker = system.stack.services["chunker-0"]
        chunker.env.pop("ADMINT_CHAOS")  # the provider recovered
        chunker.restart()
        assert system.client.post(f"/v1/generations/{gid}/retry").status_code == 202
        assert system.client.post(f"/v1/generations/{gid}/retry").status_code == 409  # it is running again
        done = system.wait_for(gid, lambda d: d["status"] in ("failed", "completed"), timeout_s=240)
        assert done["status"] == "completed", done.get("error")

        after = {o.object_name: o.etag for o in s3.list_objects("admint", f"generations/{gid}/", recursive=True)}
        reused = {k for k in before if k.endswith((".png", ".mp4")) and "/exports/" not in k}
        assert all(after[k] == before[k] for k in reused), "stored pieces must be reused, not re-rendered"
        assert any("/chunks/1-" in k for k in after)
        events = read_events(system.client, f"/v1/generations/{gid}/events")
        types = [e.event for e in events]
        assert types.count("generation.failed.v1") == 1 and types.count("generation.completed.v1") == 1
        assert after_the_end(events, "generation.completed.v1") <= {"quality.scored.v1"}
        rerun = {f"{e.data['beat_index']}-{e.data['chunk_index']}" for e in events
                 if e.event == "chunk.completed.v1" and e.data["attempt"] == 1}
        assert "1-0" in rerun and not rerun & stored_chunks, (rerun, stored_chunks)
        audit(system, [gid], "retry re-runs only missing pieces")
