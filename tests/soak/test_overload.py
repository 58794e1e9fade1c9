"""Overload (issue 17): 200 generations asked for as fast as possible by 10 keys, against the whole system.

Each key may run 2 generations at once. The planner is paused (SIGSTOP) while the burst lands, so what was
accepted is still queued when it is counted: exactly 2 per key are accepted, every other request is a 429 with
Retry-After and leaves nothing behind; the queue depth is what `GET /v1/me` and the gateway's
`admint_generations_active{status="queued"}` say. Then the planner goes on and every accepted generation
completes (small render size). Meanwhile SSE clients that never read their feed hold connections open: the
gateway's memory stays bounded (measured, and printed with the summary).
"""

import asyncio
import os
import re
import signal
import socket
import time
import uuid
from pathlib import Path

import httpx
import pytest

from admint.devstack.processes import DevStack

pytestmark = pytest.mark.soak
KEYS, PER_KEY, LIMIT = 10, 20, 2
ADMIN = "overload-admin-" + os.urandom(4).hex()
STALLED_CLIENTS = 40
RSS_GROWTH_LIMIT_MB = 150
"""What 40 feeds that never read may cost the gateway at most (each holds one generation's events at most)."""


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    assert match is not None
    return int(match.group(1)) / 1024


def queued_metric(api_url: str) -> float:
    text = httpx.get(f"{api_url}/metrics", timeout=10).text
    match = re.search(r'^admint_generations_active\{status="queued"\} ([0-9.e+]+)$', text, re.M)
    return float(match.group(1)) if match else -1.0


def stalled_feed(api_url: str, key: str, gid: str) -> socket.socket:
    """An SSE client that sends its request and never reads a byte of the answer."""
    host, port = api_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall((f"GET /v1/generations/{gid}/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
                  "Accept: text/event-stream\r\n\r\n").encode())
    return sock


async def burst(api_url: str, keys: list[str]) -> list[tuple[int, httpx.Response]]:
    """Every key's 20 requests at once (200 in flight), each with its own Idempotency-Key."""
    async with httpx.AsyncClient(base_url=api_url, timeout=60, limits=httpx.Limits(max_connections=200)) as client:
        async def one(k: int, i: int) -> tuple[int, httpx.Response]:
            body = {"brief": f"15-second ad #{k}-{i} for a reusable glass bottle, fresh", "duration_s": 15,
                    "seed": 100 * k + i}
            headers = {"Authorization": f"Bearer {keys[k]}", "Idempotency-Key": f"overload-{uuid.uuid4()}"}
            return k, await client.post("/v1/generations", json=body, headers=headers)

        return await asyncio.gather(*(one(k, i) for k in range(KEYS) for i in range(PER_KEY)))


def test_two_hundred_requests_from_ten_keys(tmp_path: Path) -> None:
    stack = DevStack(tmp_path / "stack", env={
        "ADMINT_RENDER_LONG_SIDE": "160", "ADMINT_ENVIRONMENT": "test", "ADMINT_ADMIN_TOKEN": ADMIN,
        "ADMINT_RATE_LIMIT_PER_MINUTE": "600", "ADMINT_SSE_KEEPALIVE_S": "1", "ADMINT_LOG_LEVEL": "WARNING",
        "ADMINT_MAX_STREAMS_PER_KEY": "50",
    }, replicas={"chunker": 2})
    stack.start()
    stalled: list[socket.socket] = []
    try:
        with httpx.Client(base_url=stack.api_url, timeout=30) as http:
            keys = []
            for k in range(KEYS):
                made = http.post("/v1/admin/keys", headers={"Authorization": f"Bearer {ADMIN}"},
                                 json={"owner": f"tenant-{k}", "name": "overload", "max_active_generations": LIMIT})
                assert made.status_code == 201, made.text
                keys.append(made.json()["api_key"])
            planners = [p for name, p in stack.services.items() if name.startswith("planner")]
            for planner in planners:
                assert planner.process is not None
                planner.process.send_signal(signal.SIGSTOP)
            try:
                started = time.monotonic()
                answers = asyncio.run(burst(stack.api_url, keys))
                burst_s = time.monotonic() - started
                accepted = {k: [r.json()["id"] for kk, r in answers if kk == k and r.status_code == 202]
                            for k in range(KEYS)}
                refused = [r for _, r in answers if r.status_code != 202]
                assert all(len(ids) == LIMIT for ids in accepted.values()), {k: len(v) for k, v in accepted.items()}
                assert {r.status_code for r in refused} == {429}
                assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
                assert {r.json()["limit"] for r in refused} == {"active_generations"}
                everyone = [gid for ids in accepted.values() for gid in ids]
                for k, key in enumerate(keys):  # nothing refused was written; the queue is what was accepted
                    me = http.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
                    assert me["active_by_status"] == [{"status": "queued", "count": LIMIT}], me
                    assert me["queue_depth"] == len(everyone), me
                    listed = http.get("/v1/generations", headers={"Authorization": f"Bearer {key}"}).json()["items"]
                    assert sorted(g["id"] for g in listed) == sorted(accepted[k])
                assert queued_metric(stack.api_url) == len(everyone)
                assert stack.gateway is not None and stack.gateway.process is not None
                gateway_pid = stack.gateway.process.pid
                before_mb = rss_mb(gateway_pid)
                owner_of = {gid: k for k, ids in accepted.items() for gid in ids}
                for n in range(STALLED_CLIENTS):
                    gid = everyone[n % len(everyone)]
                    stalled.append(stalled_feed(stack.api_url, keys[owner_of[gid]], gid))
            finally:
                for planner in planners:
                    assert planner.process is not None
                    planner.process.send_signal(signal.SIGCONT)
            deadline, peak_mb = time.monotonic() + 600, before_mb
            statuses: dict[str, str] = {}
            while time.monotonic() < deadline:
                for gid in everyone:
                    if statuses.get(gid) not in ("completed", "failed", "cancelled"):
                        key = keys[owner_of[gid]]
                        statuses[gid] = http.get(f"/v1/generations/{gid}",
                                                 headers={"Authorization": f"Bearer {key}"}).json()["status"]
                peak_mb = max(peak_mb, rss_mb(gateway_pid))
                if all(s == "completed" for s in statuses.values()) and len(statuses) == len(everyone):
                    break
                if any(s in ("failed", "cancelled") for s in statuses.values()):
                    break
                time.sleep(2)
            all_done_s = time.monotonic() - started
            assert all(statuses.get(gid) == "completed" for gid in everyone), statuses
            assert queued_metric(stack.api_url) == 0
            growth = peak_mb - before_mb
            print(f"\noverload: requests={KEYS * PER_KEY} keys={KEYS} accepted={len(everyone)} "
                  f"refused_429={len(refused)} lost=0 burst={burst_s:.1f}s completed={len(everyone)} "
                  f"in {all_done_s:.0f}s; gateway RSS {before_mb:.0f} MB -> peak {peak_mb:.0f} MB with "
                  f"{STALLED_CLIENTS} feeds that never read")
            assert growth < RSS_GROWTH_LIMIT_MB, f"gateway grew {growth:.0f} MB"
            assert http.get("/healthz").status_code == 200  # and it still answers
    finally:
        for sock in stalled:
            sock.close()
        stack.stop()
