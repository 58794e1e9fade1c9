"""The bus and the services cost nothing: 20 generations of six beats at the smallest render size (the offline
models are then all but instant), one after another on a fresh stack of processes.

    uv run python bench/overhead.py [--generations 20]

Prints the per-hop latency (event stored in the stream → handler started, from the services' delivery logs),
p50/p99, against targets 5 ms / 25 ms; the orchestration overhead per generation (POST → generation.completed on
the SSE feed, minus the handlers' own time on the critical path), target < 1 s; and document reads/writes per
handled event (MongoDB commands on the generations collection, counted by every process).
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchkit.cpu import load_average
from benchkit.metrics import doc_ops, handled, scrape
from benchkit.results import Row, write_rows
from benchkit.stack import client, generate, running_stack
from benchkit.trace import (
    DeliveryLog,
    OverheadParts,
    critical_path,
    hop_latencies,
    overhead_parts,
    quantile,
    read_deliveries,
    read_events,
    service_of,
)

HOP_P50_MS, HOP_P99_MS, OVERHEAD_S = 5.0, 25.0, 1.0
BRIEF = "30-second ad for a solar phone charger for hikers; bright, energetic"
METRICS = ("admint_mongo_commands_total", "admint_events_consumed_total")
FAN_OUT = {"frame.requested.v1", "frame.completed.v1", "chunk.requested.v1", "chunk.completed.v1"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/admint-bench/overhead"))
    args = parser.parse_args()
    print(f"overhead bench: {args.generations} generations, 36×64; load {load_average():.2f}", flush=True)
    env = {"ADMINT_RENDER_LONG_SIDE": "64"}
    with running_stack(args.workdir / "stack", env) as stack:
        urls = [p.url for p in stack.services.values()] + [stack.api_url]
        with client(stack) as api:
            generate(api, brief=BRIEF, duration_s=30, seed=1000)  # warm-up (first imports, first consumers)
            before = scrape(urls, METRICS)
            load = load_average()
            runs = []
            for i in range(args.generations):
                runs.append(generate(api, brief=BRIEF, duration_s=30, seed=i))
            time.sleep(0.5)
            after = scrape(urls, METRICS)
        ids = [r.generation_id for r in runs]
        events = read_events(stack.env["ADMINT_NATS_URL"])
        deliveries = read_deliveries(stack.data_dir / "logs", ids)
    delta = Counter({k: after[k] - before.get(k, 0.0) for k in after})
    overheads, walls, beats, parts = [], [], [], []
    for run in runs:
        mine = [e for e in events if e.data.get("generation_id") == run.generation_id]
        path = critical_path(mine, deliveries)
        handlers = sum(s.handler_s for s in path)
        last = next((e for e in reversed(mine) if e.type == "generation.completed.v1"), None)
        if last is not None and run.events:
            parts.append(overhead_parts(path, run.posted_at, last.stored_at, run.events[-1][0]))
        walls.append(run.wall_s)
        overheads.append(run.wall_s - handlers)
        beats.append(len({e.data["beat_index"] for e in mine if e.type == "frame.completed.v1"}))
        if run.terminal != "generation.completed.v1":
            print(f"  {run.generation_id} ended with {run.terminal}")
    hops = hop_latencies(deliveries)
    p50, p99 = quantile(hops, 0.5) * 1000, quantile(hops, 0.99) * 1000
    over = statistics.median(overheads)
    reads, writes = doc_ops(delta)
    n = handled(delta)
    by_type: dict[str, list[float]] = {}
    for d in deliveries:
        if d.hop_s is not None:
            by_type.setdefault(d.event_type, []).append(d.hop_s * 1000)
    print(f"\nbeats per generation: {sorted(set(beats))}; wall per generation p50 {statistics.median(walls):.2f} s")
    print("hop by event type (ms):  type  n  p50  p99")
    for t, v in sorted(by_type.items()):
        print(f"  {t:<28} {len(v):4d} {quantile(v, 0.5):7.1f} {quantile(v, 0.99):7.1f}")
    print(f"\nhops {len(hops)}: p50 {p50:.1f} ms (target < {HOP_P50_MS}), p99 {p99:.1f} ms (target < {HOP_P99_MS})")
    steps = hops_ms(deliveries, lambda d: d.event_type not in FAN_OUT)
    items = hops_ms(deliveries, lambda d: d.event_type in FAN_OUT)
    print(f"  of which pipeline steps (one event per stage and generation): {len(steps)}, p50 "
          f"{quantile(steps, 0.5):.1f} ms p99 {quantile(steps, 0.99):.1f} ms; fan-out items (frames, chunks: they "
          f"also wait for a free handler of their service): {len(items)}, p50 {quantile(items, 0.5):.1f} ms "
          f"p99 {quantile(items, 0.99):.1f} ms")
    background = hops_ms(deliveries, lambda d: service_of(d.service) == "scorer")
    waited = hops_ms(deliveries, lambda d: service_of(d.service) != "scorer")
    print(f"  by consumer: the services a generation waits for {len(waited)}, p50 {quantile(waited, 0.5):.1f} ms "
          f"p99 {quantile(waited, 0.99):.1f} ms; the scorer (beside the pipeline: nice 10, one video at a time, "
          f"its backlog waits on the bus) {len(background)}, p50 {quantile(background, 0.5):.1f} ms p99 "
          f"{quantile(background, 0.99):.1f} ms")
    runs = [d for d in deliveries if service_of(d.service) != "scorer" and d.outcome in ("ok", "failed")
            and d.stored_at is not None and d.started_at is not None]
    on_bus = [(d.received_at - (d.stored_at or 0.0)) * 1000 for d in runs]
    in_worker = [((d.started_at or 0.0) - d.received_at) * 1000 for d in runs]
    print(f"  the hops of the services a generation waits for, split: stored → taken off the bus by the worker "
          f"p50 {quantile(on_bus, 0.5):.1f} ms p99 {quantile(on_bus, 0.99):.1f} ms (delivery, and waiting for a free "
          f"handler); taken → handler started p50 {quantile(in_worker, 0.5):.2f} ms p99 "
          f"{quantile(in_worker, 0.99):.1f} ms (decode, the skip-terminal check)")
    print(f"orchestration overhead per generation: p50 {over:.3f} s, max {max(overheads):.3f} s "
          f"(target < {OVERHEAD_S} s)")
    print_parts(parts)
    print(f"document ops on `generations` per handled event: {reads / n:.2f} reads, {writes / n:.2f} writes "
          f"({n:.0f} deliveries); load {load:.2f} → {load_average():.2f}")
    rows = [Row("overhead", "bus hop p50", f"{p50:.1f} ms", f"< {HOP_P50_MS:g} ms", p50 < HOP_P50_MS),
            Row("overhead", "bus hop p99", f"{p99:.1f} ms", f"< {HOP_P99_MS:g} ms", p99 < HOP_P99_MS),
            Row("overhead", "orchestration overhead / generation", f"{over:.2f} s", f"< {OVERHEAD_S:g} s",
                over < OVERHEAD_S),
            Row("overhead", "bus hop p50 / p99, pipeline steps only", f"{quantile(steps, 0.5):.1f} / "
                f"{quantile(steps, 0.99):.1f} ms", "", None),
            Row("overhead", "bus hop p50 / p99, services a generation waits for (not the scorer)",
                f"{quantile(waited, 0.5):.1f} / {quantile(waited, 0.99):.1f} ms", "", None),
            Row("overhead", "  split: stored → taken by the worker, taken → handler started (p50 / p99)",
                f"{quantile(on_bus, 0.5):.1f} / {quantile(on_bus, 0.99):.1f} ms, "
                f"{quantile(in_worker, 0.5):.2f} / {quantile(in_worker, 0.99):.1f} ms", "", None),
            Row("overhead", "wall per generation p50 (36×64, instant models)", f"{statistics.median(walls):.2f} s", "",
                None),
            Row("overhead", "doc reads / writes per event", f"{reads / n:.2f} / {writes / n:.2f}", "", None)]
    write_rows("overhead", rows, {"load": load})
    return 0


def hops_ms(deliveries: list[DeliveryLog], keep: Callable[[DeliveryLog], bool]) -> list[float]:
    """The hops (ms) of the deliveries `keep` selects, counted as `hop_latencies` counts them."""
    return [hop * 1000 for hop in hop_latencies([d for d in deliveries if keep(d)])]


def print_parts(parts: list[OverheadParts]) -> None:
    """Where the overhead goes, median over the generations: admission, each critical-path hop, publishing,
    the SSE feed."""
    if not parts:
        return
    med = statistics.median
    hops_by_type: dict[str, list[float]] = {}
    for p in parts:
        for event_type, hop in p.hops_s:
            hops_by_type.setdefault(event_type, []).append(hop * 1000)
    print(f"  where it goes (median per generation, ms): POST → first event "
          f"{med(p.admission_s for p in parts) * 1000:.1f}; "
          f"hops on the critical path {med(sum(h for _, h in p.hops_s) for p in parts) * 1000:.1f}; handler end → "
          f"next event stored {med(p.publish_s for p in parts) * 1000:.1f}; last event → SSE client "
          f"{med(p.feed_s for p in parts) * 1000:.1f}")
    print("  critical-path hops by event type (ms): " + "; ".join(
        f"{t.removesuffix('.v1')} n {len(v)} p50 {quantile(v, 0.5):.1f} max {max(v):.1f}"
        for t, v in sorted(hops_by_type.items())))


if __name__ == "__main__":
    sys.exit(main())
