"""Scale out: 1, 2 and 4 chunker replicas against a video model with the latency of a remote one.

    uv run python bench/scaling.py [--latency 2] [--generations 12]

Every video call first waits `--latency` seconds without using CPU while holding one of `--slots` cluster-wide
slots (ADMINT_CHAOS {"video": {"latency_s": …, "slots": …}}, the shared limiter a Replicate model uses), then the
offline model renders at the smallest size. For each replica count a fresh stack of processes takes
`--generations` 15-second generations submitted at once. The figure is the chunk stage's throughput (chunks
completed per second from the first chunk requested to the last completed, over every generation); efficiency is
throughput / (replicas × throughput with one). End-to-end generations per minute is printed beside it: the other
stages keep one replica each, so on two cores they cap it (the stitcher's music bed and the exporter's checks).
The peak number of predictions in flight (slots held, sampled from MongoDB every 50 ms) shows the shared limit
still holds. Then one generation alone on four replicas: its wall time against its critical path (the handler
runs of the causation chain that ended it: planning, storyboard, the longest beat's chain of chunks, stitch,
export). Targets: ≥ 0.8 × linear at 4 replicas; single generation ≤ 1.1 × critical path.
"""

import argparse
import sys
import threading
import time
from pathlib import Path

import pymongo
from benchkit.cpu import load_average
from benchkit.results import Row, write_rows
from benchkit.stack import client, create, follow, running_stack
from benchkit.trace import critical_path, read_deliveries, read_events

from admint.providers.chaos import simulated_slot_name

EFFICIENCY, CRITICAL = 0.8, 1.1
BRIEF = "15-second ad for a reusable coffee cup; warm, friendly"


class SlotWatch:
    """Peak count of held, unexpired slots of the simulated model (sampled every 50 ms)."""

    def __init__(self, mongo_url: str, name: str) -> None:
        self.collection = pymongo.MongoClient(mongo_url)["admint"]["provider_slots"]
        self.prefix = f"^{name}:"
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            held = self.collection.count_documents(
                {"_id": {"$regex": self.prefix}, "holder": {"$ne": None}, "expires_at": {"$gt": time.time()}})
            self.peak = max(self.peak, held)
            time.sleep(0.05)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def run(replicas: int, args: argparse.Namespace, single: bool = False) -> dict[str, float]:
    env = {"ADMINT_RENDER_LONG_SIDE": "64", "ADMINT_LOG_LEVEL": "INFO",
           "ADMINT_CHAOS": f'{{"video": {{"latency_s": {args.latency}, "slots": {args.slots}}}}}'}
    out: dict[str, float] = {}
    with running_stack(args.workdir / f"r{replicas}", env, replicas={"chunker": replicas}) as stack:
        watch = SlotWatch(stack.env["ADMINT_MONGO_URL"], simulated_slot_name("offline-video"))
        with client(stack) as api:
            began = time.time()
            made = [create(api, brief=BRIEF, duration_s=15, seed=s) for s in range(args.generations)]
            done = [follow(api, gid, posted) for gid, posted in made]
            wall = max(d.events[-1][0] for d in done) - began
            out.update(wall_s=wall, per_minute=args.generations / wall * 60, peak=watch.stop())
            out["failed"] = sum(1 for d in done if d.terminal != "generation.completed.v1")
            events = read_events(stack.env["ADMINT_NATS_URL"])
            requested = [e.stored_at for e in events if e.type == "chunk.requested.v1"]
            completed = [e.stored_at for e in events if e.type == "chunk.completed.v1"]
            out["chunks"] = len(completed)
            out["chunk_window_s"] = max(completed) - min(requested)
            out["chunks_per_s"] = len(completed) / out["chunk_window_s"]
            if single:
                gid, posted = create(api, brief=BRIEF, duration_s=15, seed=99)
                alone = follow(api, gid, posted)
                events = read_events(stack.env["ADMINT_NATS_URL"], gid)
                path = critical_path(events, read_deliveries(stack.data_dir / "logs", [gid]))
                out["single_wall_s"] = alone.wall_s
                out["critical_s"] = sum(s.handler_s for s in path)
                print(f"  single generation: wall {alone.wall_s:.2f} s, critical path {out['critical_s']:.2f} s "
                      f"({len(path)} handler runs: "
                      + ", ".join(f"{s.event.type.split('.')[0]} {s.handler_s:.2f}" for s in path) + ")", flush=True)
    print(f"{replicas} chunker replica(s): {out['chunks']:.0f} chunks in {out['chunk_window_s']:.1f} s "
          f"({out['chunks_per_s']:.2f}/s); {args.generations} generations in {out['wall_s']:.1f} s "
          f"({out['per_minute']:.1f}/min); peak in-flight predictions {out['peak']:.0f} of {args.slots} slots; "
          f"failed {out['failed']:.0f}", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--generations", type=int, default=12)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/admint-bench/scaling"))
    args = parser.parse_args()
    print(f"scaling bench: {args.generations} generations, video latency {args.latency} s, {args.slots} shared "
          f"slots; load {load_average():.2f}", flush=True)
    results = {n: run(n, args, single=n == 4) for n in (1, 2, 4)}
    base, base_e2e = results[1]["chunks_per_s"], results[1]["per_minute"]
    rows = []
    for n, r in results.items():
        eff = r["chunks_per_s"] / (n * base)
        e2e = r["per_minute"] / (n * base_e2e)
        print(f"  {n} replica(s): chunk stage {r['chunks_per_s']:.2f} chunks/s = {eff:.2f} of linear; "
              f"end to end {r['per_minute']:.1f} generations/min = {e2e:.2f} of linear")
        if n > 1:
            rows.append(Row("scaling", f"chunk-stage throughput at {n} chunker replicas vs linear", f"{eff:.2f}x",
                            f"≥ {EFFICIENCY}" if n == 4 else "", eff >= EFFICIENCY if n == 4 else None))
            rows.append(Row("scaling", f"end-to-end throughput at {n} chunker replicas vs linear "
                                       "(other stages 1 replica)", f"{e2e:.2f}x", "", None))
    peak = max(r["peak"] for r in results.values())
    rows.append(Row("scaling", "peak in-flight predictions (shared slots)", f"{peak:.0f} of {args.slots}",
                    f"≤ {args.slots}", peak <= args.slots))
    four = results[4]
    ratio = four["single_wall_s"] / four["critical_s"]
    rows.append(Row("scaling", "single generation wall / critical path",
                    f"{ratio:.2f} ({four['single_wall_s']:.1f} s / {four['critical_s']:.1f} s)", f"≤ {CRITICAL}",
                    ratio <= CRITICAL))
    failed = sum(r["failed"] for r in results.values())
    print(f"single generation on 4 replicas: wall / critical path = {ratio:.2f} (target ≤ {CRITICAL}); "
          f"failed generations {failed:.0f}; load {load_average():.2f}")
    write_rows("scaling", rows, {k: v for k, v in results.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
