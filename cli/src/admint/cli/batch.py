"""`admint batch briefs.jsonl`: many generations (or groups) from a JSON-lines file, a few at a time, resumable.

Each input line is a request body — a generation's, or a group's when it has `variants` — plus optionally
`idempotency_key`. Without one, the key is derived from the line itself, so running the same file again asks the
gateway for the same generations (it answers with the ones it has, nothing is made twice). With --out, lines
already finished in that file are skipped without a request, and each finished line is appended as it finishes:
stop the run at any point and start it again.
"""

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admint.client import ApiClient, ApiError, Unreachable
from admint.contracts.stages import PIPELINE

GENERATION_DONE = PIPELINE.terminal
GROUP_DONE = frozenset({"completed", "partial", "failed"})


@dataclass(frozen=True)
class BatchLine:
    number: int
    """1-based line number in the input file."""
    body: dict[str, Any]
    key: str

    @property
    def kind(self) -> str:
        return "group" if "variants" in self.body else "generation"


def line_key(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "batch-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def read_lines(path: Path) -> Iterator[BatchLine | tuple[int, str]]:
    """Each non-blank line as a BatchLine, or (number, reason) when it is not a JSON object."""
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip():
            continue
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, f"not JSON: {exc.msg}"
            continue
        if not isinstance(body, dict):
            yield number, "not a JSON object"
            continue
        key = str(body.pop("idempotency_key", "") or line_key(body))
        yield BatchLine(number, body, key)


def finished_keys(out: Path | None) -> set[str]:
    """Keys of lines an earlier run finished (recorded in its --out file)."""
    if out is None or not out.exists():
        return set()
    done = set()
    for text in out.read_text().splitlines():
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash: run it again
        terminal = GROUP_DONE if record.get("kind") == "group" else GENERATION_DONE
        if record.get("status") in terminal and record.get("key"):
            done.add(str(record["key"]))
    return done


def run_line(client: ApiClient, line: BatchLine, poll_s: float, sleep: Callable[[float], None],
             scores_wait_s: float = 120.0) -> dict[str, Any]:
    """Create (idempotently), wait for the end and, a little longer (`scores_wait_s`), for the quality scores;
    the result line."""
    record: dict[str, Any] = {"line": line.number, "key": line.key, "kind": line.kind}
    try:
        if line.kind == "group":
            group_id = client.create_group(line.body, line.key)["id"]
            view = _poll(lambda: client.group(group_id), lambda v: v["status"] in GROUP_DONE,
                         lambda v: any(m["scores_pending"] for m in v["members"] if m["status"] == "completed"),
                         poll_s, scores_wait_s, sleep)
            best = next((m for m in view["members"] if m.get("rank") == 1), None)
            return {**record, "id": group_id, "status": view["status"],
                    "members": [m["generation_id"] for m in view["members"]],
                    "best": best["generation_id"] if best else None, "overall": best["overall"] if best else None}
        gid = client.create_generation(line.body, line.key).id
        doc = _poll(lambda: client.generation(gid).model_dump(mode="json"), lambda d: d["status"] in GENERATION_DONE,
                    lambda d: bool(d["quality"]["pending"] and d["quality"]["chunks"]), poll_s, scores_wait_s, sleep)
        out = {**record, "id": gid, "status": doc["status"], "overall": doc["quality"]["overall"]}
        if doc.get("error"):
            out["error"] = doc["error"]["reason"]
        return out
    except ApiError as exc:
        return {**record, "status": "refused", "error": f"{exc.status} {exc.title}: {exc.detail}"}
    except Unreachable as exc:
        return {**record, "status": "unreachable", "error": str(exc)}


def _poll(read: Callable[[], dict[str, Any]], ended: Callable[[dict[str, Any]], bool],
          scoring: Callable[[dict[str, Any]], bool], poll_s: float, scores_wait_s: float,
          sleep: Callable[[float], None]) -> dict[str, Any]:
    """Read until `ended`, then while `scoring` for at most `scores_wait_s` (polls counted, not the clock)."""
    value = read()
    while not ended(value):
        sleep(poll_s)
        value = read()
    waited = 0.0
    while scoring(value) and waited < scores_wait_s:
        sleep(poll_s)
        waited += poll_s
        value = read()
    return value


def run_batch(client_factory: Callable[[], ApiClient], lines: list[BatchLine], *, concurrency: int, poll_s: float,
              emit: Callable[[dict[str, Any]], None], sleep: Callable[[float], None] = time.sleep) -> list[dict]:
    """At most `concurrency` lines in flight (one client each); each result emitted as it finishes."""
    results: list[dict[str, Any]] = []

    def one(line: BatchLine) -> dict[str, Any]:
        with client_factory() as client:
            return run_line(client, line, poll_s, sleep)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for future in as_completed([pool.submit(one, line) for line in lines]):
            result = future.result()
            results.append(result)
            emit(result)
    return results
