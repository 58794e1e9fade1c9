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

from admint.contracts.registry import TERMINAL_TYPES, parse_event
from admint.contracts.stages import PIPELINE
from admint.core.blobstore import BlobStore
from admint.core.bus import connect_nats
from admint.core.docstore import GenerationRepository
from admint.core.document import GenerationDoc
from admint.core.mongo import connect
from admint.core.settings import CoreSettings
from admint.devstack.processes import DevStack

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


async def _audit(settings: CoreSettings, ids: list[str]) -> dict[str, Any]:
    """Read documents, objects and the event stream of each generation and find every inconsistency."""
    mongo = connect(settings.mongo_url)
    docs = GenerationRepository(mongo[settings.mongo_db])
    blobs = BlobStore.from_settings(settings)
    nc = await connect_nats(settings)
    js = nc.jetstream()
    report: dict[str, Any] = {"problems": [], "status": {}, "duplicates": 0}
    try:
        for gid in ids:
            doc = await docs.get(gid)
            assert doc is not None
            report["status"][gid] = doc.status
            if doc.status not in TERMINAL:
                report["problems"].append(f"{gid}: not terminal ({doc.status})")
            keys = set(await blobs.list_keys(f"generations/{gid}/"))
            referenced = _referenced_keys(doc.model_dump(mode="json"))
            orphans = keys - referenced
            if orphans:
                report["problems"].append(f"{gid}: objects not referenced by the document: {sorted(orphans)}")
            missing = {k for k in referenced if k.startswith(f"generations/{gid}/")} - keys
            if missing and doc.status == "completed":
                report["problems"].append(f"{gid}: document references missing objects: {sorted(missing)}")
            if doc.status == "completed":
                expected = _expected_keys(gid, doc)
                if not expected <= keys:
                    report["problems"].append(f"{gid}: expected objects missing: {sorted(expected - keys)}")
            events = await _events(js, gid)
            report.setdefault("events", {})[gid] = events
            ids_seen = Counter(e.msg_id for e in events)
            dups = {k: v for k, v in ids_seen.items() if v > 1}
            report["duplicates"] += sum(v - 1 for v in dups.values())
            if dups:
                report["problems"].append(f"{gid}: duplicate derived events {dups}")
            rounds = Counter(e.attempt for e in events if e.type in TERMINAL_TYPES)
            last_round = max((e.attempt for e in events), default=0)
            if any(n != 1 for n in rounds.values()) or rounds.get(last_round) != 1:
                report["problems"].append(f"{gid}: expected one terminal event per retry round, got {dict(rounds)}")
    finally:
        await nc.close()
        await mongo.close()
    return report


def _referenced_keys(node: Any) -> set[str]:
    """Every object key mentioned anywhere in the document (artifact refs are dicts with a `key`)."""
    found: set[str] = set()
    if isinstance(node, dict):
        key = node.get("key")
        if isinstance(key, str) and "bucket" in node:
            found.add(key)
        for value in node.values():
            found |= _referenced_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _referenced_keys(value)
    return found


def _expected_keys(gid: str, doc: GenerationDoc) -> set[str]:
    beats = doc.plan.beats if doc.plan else []
    expected = {f"generations/{gid}/storyboard/{b.index}.png" for b in beats}
    expected.add(f"generations/{gid}/master.mp4")
    expected.add(f"generations/{gid}/exports/poster.jpg")
    expected.add(f"generations/{gid}/exports/thumbnail.jpg")
    for chunk in doc.chunking.chunks:
        expected.add(f"generations/{gid}/chunks/{chunk}.mp4")
    return expected


async def _events(js: Any, gid: str) -> list[Any]:
    info = await js.stream_info("ADMINT")
    sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
    events = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except TimeoutError:
                break
            try:
                events.append(parse_event(msg.data))
            except ValueError:
                continue  # a hand-made poison message is not an event
            if msg.metadata.sequence.stream >= info.state.last_seq:
                break
    finally:
        await sub.unsubscribe()
    return events


def audit(system: System, ids: list[str], name: str, *, expect_failed: set[str] = frozenset(),
          expect_cancelled: set[str] = frozenset()) -> dict[str, Any]:
    report = asyncio.run(_audit(system.settings, ids))
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
