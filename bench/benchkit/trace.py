"""A generation's events (from the stream, with their stored timestamps) and the services' deliveries (from
their JSON logs: `Worker` logs one line per delivery with the event id and the timing stamps), joined into
per-hop latency, per-stage wall time and the critical path (the causation chain that ended the generation)."""

import asyncio
import itertools
import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nats
from nats.js.api import DeliverPolicy


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    stored_at: float
    type: str
    id: str
    causation_id: str | None
    producer: str
    occurred_at: float
    data: dict[str, Any]


@dataclass(frozen=True)
class DeliveryLog:
    service: str
    event_type: str
    event_id: str
    outcome: str
    received_at: float
    stored_at: float | None
    started_at: float | None
    handled_at: float | None
    logged_at: float

    @property
    def hop_s(self) -> float | None:
        """Published (stored in the stream) → handler started."""
        if self.stored_at is None or self.started_at is None:
            return None
        return self.started_at - self.stored_at

    @property
    def handler_s(self) -> float:
        if self.started_at is None or self.handled_at is None:
            return 0.0
        return self.handled_at - self.started_at


async def _read_events(nats_url: str, subject: str, stream: str = "ADMINT") -> list[StoredEvent]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL, stream=stream)
        out: list[StoredEvent] = []
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                break
            data = json.loads(msg.data)
            meta = msg.metadata
            out.append(StoredEvent(
                seq=int(meta.sequence.stream), stored_at=meta.timestamp.timestamp(), type=data["type"],
                id=data["id"], causation_id=data.get("causation_id"), producer=data.get("producer", ""),
                occurred_at=datetime.fromisoformat(data["occurred_at"]).timestamp(), data=data,
            ))
            if meta.num_pending == 0:
                break
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


def read_events(nats_url: str, generation_id: str = "*") -> list[StoredEvent]:
    """Every event of one generation (or of all: "*"), in stream order."""
    return asyncio.run(_read_events(nats_url, f"gen.{generation_id}.>"))


def read_deliveries(log_dir: Path, generation_ids: Iterable[str] | None = None) -> list[DeliveryLog]:
    """Delivery lines of every service log in `log_dir` (those with timing), optionally of some generations."""
    wanted = set(generation_ids) if generation_ids is not None else None
    out: list[DeliveryLog] = []
    for path in sorted(Path(log_dir).glob("*.log")):
        service = path.stem
        for line in path.read_text(errors="replace").splitlines():
            if '"received_at"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if wanted is not None and entry.get("generation_id") not in wanted:
                continue
            if "event_id" not in entry:
                continue
            out.append(DeliveryLog(
                service=service, event_type=entry["event_type"], event_id=entry["event_id"],
                outcome=entry["outcome"], received_at=entry["received_at"], stored_at=entry.get("stored_at"),
                started_at=entry.get("started_at"), handled_at=entry.get("handled_at"),
                logged_at=datetime.fromisoformat(entry["ts"]).timestamp(),
            ))
    return out


@dataclass(frozen=True)
class Step:
    """One handler run on the critical path: the event it handled and what it cost."""

    event: StoredEvent
    delivery: DeliveryLog | None

    @property
    def handler_s(self) -> float:
        return self.delivery.handler_s if self.delivery else 0.0


def critical_path(events: list[StoredEvent], deliveries: list[DeliveryLog],
                  last_type: str = "generation.completed.v1") -> list[Step]:
    """The causation chain from the generation's first event to `last_type`: each step is the handler run
    whose output caused the next event (so its time is on the critical path). An event several services
    consume (chunk.completed: the chunker's fan-in and the scorer) counts the run of the service that produced
    the next event of the chain."""
    by_id = {e.id: e for e in events}
    handled = {(d.event_id, service_of(d.service)): d for d in deliveries if d.outcome == "ok"}
    last = next((e for e in reversed(events) if e.type == last_type), None)
    if last is None:
        return []
    steps: list[Step] = []
    child, cause = last, by_id.get(last.causation_id or "")
    while cause is not None:
        steps.append(Step(cause, handled.get((cause.id, child.producer))))
        child, cause = cause, by_id.get(cause.causation_id or "")
    return steps[::-1]


def service_of(process: str) -> str:
    """The service a process belongs to: "chunker-2" → "chunker"."""
    name, _, index = process.rpartition("-")
    return name if name and index.isdigit() else process


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[max(0, min(998, round(q * 1000) - 1))]


def hop_latencies(deliveries: list[DeliveryLog]) -> list[float]:
    """Published → handler started of every first delivery that ran a handler."""
    return [d.hop_s for d in deliveries if d.hop_s is not None and d.outcome in ("ok", "failed")]


STAGE_MARKS = ("generation.requested.v1", "plan.completed.v1", "storyboard.completed.v1", "chunks.completed.v1",
               "stitch.completed.v1", "export.completed.v1", "generation.completed.v1")


def stage_walls(events: list[StoredEvent]) -> list[tuple[str, float]]:
    """Wall time between consecutive milestones (stored timestamps): planning, storyboard, chunks, ..."""
    first = {}
    for e in events:
        first.setdefault(e.type, e.stored_at)
    marks = [(t, first[t]) for t in STAGE_MARKS if t in first]
    return [(f"{a.split('.')[0]}→{b.split('.')[0]}", tb - ta) for (a, ta), (b, tb) in itertools.pairwise(marks)]


@dataclass(frozen=True)
class OverheadParts:
    """Where a generation's orchestration overhead (wall minus handler time on the critical path) went."""

    admission_s: float
    """POST sent → the first event stored (the gateway's insert, admission and publish)."""
    hops_s: list[tuple[str, float]]
    """Per critical-path step: its event type and stored → handler started (the bus, and waiting for a handler)."""
    publish_s: float
    """Sum over steps of handler returned → the next event stored (a negative part: published before the end)."""
    feed_s: float
    """The last event stored → received by the SSE client."""


def overhead_parts(path: list[Step], posted_at: float, last_stored_at: float, received_at: float) -> OverheadParts:
    """Split the orchestration overhead of one generation along its critical path (see `critical_path`)."""
    hops: list[tuple[str, float]] = []
    publish = 0.0
    next_stored = [s.event.stored_at for s in path[1:]] + [last_stored_at]
    for step, stored in zip(path, next_stored, strict=True):
        d = step.delivery
        if d is None or d.started_at is None or d.handled_at is None:
            continue
        hops.append((step.event.type, d.started_at - step.event.stored_at))
        publish += stored - d.handled_at
    first = path[0].event.stored_at if path else last_stored_at
    return OverheadParts(first - posted_at, hops, publish, received_at - last_stored_at)
