"""Fault injection on the studio (issue 13): kill -9 of each service while a new version of a finished ad renders
still ends with exactly one new version per request — no duplicate chunks, events or versions — and the audit of
documents, objects and the event stream stays clean."""

import time

import pytest

from admint.core.topology import SERVICES
from tests.faults.conftest import audit

pytestmark = pytest.mark.faults

FAST = {"ADMINT_ACK_WAIT_S": "8"}


def test_kill_9_each_service_during_a_regeneration_ends_with_exactly_one_new_version(system_factory) -> None:
    with system_factory(env=FAST) as system:
        (gid,) = system.submit(1, seed=40)
        system.wait_for(gid, lambda d: d["status"] == "completed", timeout_s=300)
        for round_, name in enumerate(SERVICES):
            version = round_ + 2
            answer = system.client.post(f"/v1/generations/{gid}/beats/{round_ % 3}/regenerate",
                                        json={"what": "frame"}, headers={"Idempotency-Key": f"{gid}-{version}"})
            assert answer.status_code == 202, answer.text
            assert answer.json()["version"] == version
            victim = system.stack.services[f"{name}-0"]
            time.sleep(0.3 * (round_ % 3))  # somewhere inside the version's work
            victim.kill()
            # the same request again while a service is down: the same answer, no second version
            again = system.client.post(f"/v1/generations/{gid}/beats/{round_ % 3}/regenerate",
                                       json={"what": "frame"}, headers={"Idempotency-Key": f"{gid}-{version}"})
            assert again.status_code == 202 and again.json()["version"] == version
            assert again.headers.get("Idempotent-Replayed") == "true"
            time.sleep(0.5)
            victim.start()
            doc = system.wait_for(gid, lambda d, v=version: d["latest_version"] == v and not d["rendering_version"],
                                  timeout_s=300)
            assert doc["status"] == "completed"
        versions = system.client.get(f"/v1/generations/{gid}/versions").json()
        numbers = [(v["number"], v["state"]) for v in versions["items"]]
        assert numbers == [(n, "completed") for n in range(1, len(SERVICES) + 2)], numbers
        report = audit(system, [gid], "kill -9 each service during a regeneration")
        events = report["events"][gid]
        done = [e for e in events if e.type == "version.completed.v1"]
        assert sorted(e.ad_version for e in done) == list(range(2, len(SERVICES) + 2))  # once each
        opened = [e for e in events if e.type == "version.requested.v1"]
        assert sorted(e.ad_version for e in opened) == list(range(2, len(SERVICES) + 2))
