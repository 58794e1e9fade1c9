"""A fresh local stack with every service as a process and the gateway (admint.devstack.processes.DevStack),
an API key, and a client that creates a generation and follows its SSE feed to the end."""

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from admint.contracts.registry import TERMINAL_TYPES
from admint.devstack.processes import DevStack

API_KEY = "bench-" + os.urandom(6).hex()
DEMO_BRIEF = (
    "30-second ad for an eco-friendly stainless steel water bottle that keeps drinks cold for 24 hours; "
    "calm, premium, for busy urban professionals who care about the planet"
)


@contextlib.contextmanager
def running_stack(data_dir: Path, env: dict[str, str] | None = None,
                  replicas: dict[str, int] | None = None) -> Iterator[DevStack]:
    shutil.rmtree(data_dir, ignore_errors=True)
    base = {"ADMINT_DEV_API_KEY": API_KEY, "ADMINT_ENVIRONMENT": "test", "ADMINT_LOG_LEVEL": "INFO",
            "ADMINT_RATE_LIMIT_PER_MINUTE": "100000", "ADMINT_MAX_ACTIVE_GENERATIONS": "1000",
            "ADMINT_SSE_KEEPALIVE_S": "5", "ADMINT_WORKDIR": str(data_dir / "work")}
    stack = DevStack(data_dir, env={**base, **(env or {})}, replicas=replicas)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def pids(stack: DevStack) -> dict[str, int]:
    """Every process of the stack by name: services, gateway, and the local servers."""
    out = {name: p.process.pid for name, p in stack.services.items() if p.process is not None}
    if stack.gateway is not None and stack.gateway.process is not None:
        out["gateway"] = stack.gateway.process.pid
    for name, server in stack.local.servers.items():
        if server.process is not None:
            out[f"[{name}]"] = server.process.pid
    return out


def client(stack: DevStack, timeout: float = 60.0) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=timeout)


@dataclass
class Followed:
    generation_id: str
    posted_at: float
    """time.time() just before the POST was sent."""
    wall_s: float = 0.0
    """POST sent → the terminal event received on the SSE feed."""
    events: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    """(received at, type, data) of every SSE event."""

    @property
    def terminal(self) -> str:
        """The terminal event's type ("" when the feed ended without one)."""
        return next((t for _, t, _ in reversed(self.events) if t in TERMINAL_TYPES), "")


def create(api: httpx.Client, **body: Any) -> tuple[str, float]:
    posted = time.time()
    response = api.post("/v1/generations", json=body)
    response.raise_for_status()
    return str(response.json()["id"]), posted


def follow(api: httpx.Client, generation_id: str, posted_at: float, timeout_s: float = 900.0) -> Followed:
    """Read the generation's SSE feed up to its terminal event (the feed itself stays open a little longer for
    the quality scores still to come; they are not the generation's wall time)."""
    out = Followed(generation_id, posted_at)
    fields: dict[str, str] = {}
    url = f"/v1/generations/{generation_id}/events"
    with api.stream("GET", url, headers={"Accept": "text/event-stream"},
                    timeout=httpx.Timeout(timeout_s, connect=10)) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line == "":
                if "data" in fields:
                    out.events.append((time.time(), fields.get("event", ""), json.loads(fields["data"])))
                    if out.events[-1][1] in TERMINAL_TYPES:
                        break
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = fields.get(name, "") + value.removeprefix(" ")
    out.wall_s = (out.events[-1][0] if out.events else time.time()) - posted_at
    return out


def generate(api: httpx.Client, **body: Any) -> Followed:
    gid, posted = create(api, **body)
    return follow(api, gid, posted)


def wait_scored(api: httpx.Client, generation_id: str, timeout_s: float = 300.0) -> bool:
    """Wait until the scorer has scored everything of a completed generation (it works after the end, and its
    CPU would otherwise be measured as part of whatever a bench does next); False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        quality = api.get(f"/v1/generations/{generation_id}").json().get("quality") or {}
        if quality.get("master") is not None and not quality.get("pending"):
            return True
        time.sleep(0.5)
    return False
