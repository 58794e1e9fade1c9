"""Fault-injection harness: the whole system as processes, several generations at once, a strict audit at the end."""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from admint.contracts.stages import PIPELINE
from admint.core.settings import CoreSettings
from admint.devstack.processes import DevStack
from tests.support.audit import audit_generations

TERMINAL = PIPELINE.terminal


@dataclass
class System:
    stack: DevStack
    api_key: str
    client: httpx.Client
    summary: dict[str, int] = field(default_factory=Counter)  # type: ignore[assignment]

    @property
    def settings(self) -> CoreSettings:
        env = self.stack.env
        return CoreSettings(nats_url=env["ADMINT_NATS_URL"], mongo_url=env["ADMINT_MONGO_URL"],
                               s3_endpoint=env["ADMINT_S3_ENDPOINT"])

    def submit(self, n: int, *, duration_s: int = 15, seed: int = 1, **extra: Any) -> list[str]:
        ids = []
        for i in range(n):
            body = {"brief": f"{duration_s}-second ad #{i} for a reusable coffee cup, bright and playful",
                    "duration_s": duration_s, "seed": seed + i, **extra}
            response = self.client.post("/v1/generations", json=body)
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        return ids

    def status(self, gid: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/generations/{gid}")
        response.raise_for_status()
        return response.json()

    def wait_for(self, gid: str, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 180) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                doc = self.status(gid)
                if predicate(doc):
                    return doc
            except httpx.HTTPError:
                pass  # the gateway may be the thing being restarted
            time.sleep(0.3)
        raise AssertionError(f"{gid} did not reach the expected state in {timeout_s}s: {self.status(gid)}")

    def explain(self, statuses: dict[str, str]) -> dict[str, Any]:
        """Statuses with the recorded error of every generation that did not complete (assertion messages)."""
        return {g: s if s == "completed" else (s, self.status(g).get("error")) for g, s in statuses.items()}

    def wait_terminal(self, ids: list[str], timeout_s: float = 300) -> dict[str, str]:
        return {gid: self.wait_for(gid, lambda d: d["status"] in TERMINAL, timeout_s)["status"] for gid in ids}


@contextmanager
def running_system(tmp: Path, *, env: dict[str, str] | None = None,
                   replicas: dict[str, int] | None = None) -> Iterator[System]:
    api_key = "faults-" + os.urandom(6).hex()
    stack = DevStack(tmp, env={"ADMINT_RENDER_LONG_SIDE": "240", "ADMINT_DEV_API_KEY": api_key,
                               "ADMINT_ENVIRONMENT": "test", "ADMINT_RETRY_BASE_S": "0.2",
                               "ADMINT_RETRY_CAP_S": "2", "ADMINT_MAX_ACTIVE_GENERATIONS": "50",
                               "ADMINT_RATE_LIMIT_PER_MINUTE": "100000", "ADMINT_SHUTDOWN_GRACE_S": "5",
                               "ADMINT_OFFLINE_CHUNK_DURATION_S": "6",
                               **(env or {})},
                     replicas=replicas)
    try:
        stack.start()
        with httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {api_key}"},
                          timeout=30) as client:
            yield System(stack, api_key, client)
    finally:
        stack.stop()


@pytest.fixture
def system_factory(tmp_path: Path) -> Callable[..., Any]:
    def factory(**kwargs: Any) -> Any:
        return running_system(tmp_path / "system", **kwargs)

    return factory


def audit(system: System, ids: list[str], name: str, *, expect_failed: set[str] = frozenset(),
          expect_cancelled: set[str] = frozenset()) -> dict[str, Any]:
    report = asyncio.run(audit_generations(system.settings, ids))
    completed = [g for g, s in report["status"].items() if s == "completed"]
    failed = [g for g, s in report["status"].items() if s == "failed"]
    print(f"\n[{name}] generations={len(ids)} completed={len(completed)} "
          f"failed_as_expected={len(set(failed) & set(expect_failed))} "
          f"cancelled={len([g for g, s in report['status'].items() if s == 'cancelled'])} "
          f"duplicates_found={report['duplicates']}")
    assert not report["problems"], report["problems"]
    for gid, status in report["status"].items():
        wanted = "failed" if gid in expect_failed else "cancelled" if gid in expect_cancelled else "completed"
        assert status == wanted, f"{gid}: {status}, expected {wanted}"
    return report
