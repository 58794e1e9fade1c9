"""End to end: the demo's generation (1080×1920, 30 s, offline providers) on a fresh stack of processes, against
the floor — one x264 encode at the house settings of 900 frames of 1080×1920 — measured in the same run.

    uv run python bench/e2e.py [--reference out/bench/master-reference.mp4] [--save-master PATH]

Prints the wall time (POST → generation.completed received on the SSE feed), the floor (encoded before and after
the generation; their mean counts, both are printed), the ratio (target ≤ 3.0) and where the time went: wall per
stage, CPU per process (children such as ffmpeg included), the machine's busy share, and the critical path (the
causation chain of handler runs that ended the generation) split into handler time and the time between handlers.
With --reference, the master's SSIM against a previous master (same seed: the ad must not get worse).
"""

import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import httpx
from benchkit.cpu import CpuWindow, load_average
from benchkit.results import Row, write_rows
from benchkit.stack import DEMO_BRIEF, client, generate, pids, running_stack
from benchkit.trace import critical_path, hop_latencies, quantile, read_deliveries, read_events, stage_walls

from admint.media.house import HOUSE

TARGET = 3.0
SEED = 7


def floor_encode(workdir: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one house-format x264 encode of 900 frames of 1080×1920 (a testsrc2 source)."""
    out = workdir / "floor.mp4"
    started, cpu = time.perf_counter(), children_cpu_s()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size=1080x1920:rate={HOUSE.fps}", "-frames:v", "900", "-an",
                    *HOUSE.video_args(), str(out)], check=True)
    return time.perf_counter() - started, children_cpu_s() - cpu


def children_cpu_s() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def ssim(a: Path, b: Path) -> float:
    done = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(a), "-i", str(b),
                           "-lavfi", "[0:v][1:v]ssim", "-f", "null", "-"], capture_output=True, text=True)
    found = re.search(r"All:([0-9.]+)", done.stderr)
    return float(found.group(1)) if found else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/admint-bench/e2e"))
    parser.add_argument("--reference", type=Path, default=Path("out/bench/master-reference.mp4"),
                        help="a previous master (same seed) to compare SSIM with, when it exists")
    parser.add_argument("--save-master", type=Path, default=Path("out/bench/master-latest.mp4"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"e2e bench: demo brief, 30 s 1080×1920, seed {SEED}; load {load_average():.2f}", flush=True)
    floor_before, floor_cpu = floor_encode(args.workdir)
    print(f"floor (before): {floor_before:.2f} s wall, {floor_cpu:.2f} s CPU", flush=True)
    with running_stack(args.workdir / "stack") as stack:
        with client(stack) as api:
            window = CpuWindow(pids(stack)).start()
            followed = generate(api, brief=DEMO_BRIEF, duration_s=30, aspect="9:16", seed=SEED)
            window.stop()
            if followed.terminal != "generation.completed.v1":
                print(f"generation ended with {followed.terminal}: {followed.events[-1][2] if followed.events else ''}")
                return 1
            link = api.get(f"/v1/generations/{followed.generation_id}/video", params={"redirect": "false"}).json()
            args.save_master.parent.mkdir(parents=True, exist_ok=True)
            args.save_master.write_bytes(httpx.get(link["url"], timeout=60).content)
        events = read_events(stack.env["ADMINT_NATS_URL"], followed.generation_id)
        deliveries = read_deliveries(stack.data_dir / "logs", [followed.generation_id])
    floor_after, floor_cpu_after = floor_encode(args.workdir)
    floor = (floor_before + floor_after) / 2
    floor_cpu = (floor_cpu + floor_cpu_after) / 2
    ratio = followed.wall_s / floor
    print(f"floor (after):  {floor_after:.2f} s wall, {floor_cpu_after:.2f} s CPU")
    chunks: dict[int, int] = {}
    for e in events:
        if e.type == "chunk.requested.v1":
            chunks[e.data["beat_index"]] = e.data["chunk_count"]
    print(f"chunks per beat: {[chunks[b] for b in sorted(chunks)]}")

    print("\nwall per stage (stream timestamps):")
    for name, seconds in stage_walls(events):
        print(f"  {name:<26} {seconds:7.2f} s")
    print("\nCPU per process over the generation:")
    print("\n".join(window.lines()))
    path = critical_path(events, deliveries)
    handlers = sum(s.handler_s for s in path)
    print(f"\ncritical path: {len(path)} handler runs, {handlers:.2f} s in handlers, "
          f"{followed.wall_s - handlers:.2f} s between them (of {followed.wall_s:.2f} s)")
    for step in path:
        d = step.delivery
        hop = f"{d.hop_s * 1000:7.1f}" if d and d.hop_s is not None else "      ?"
        print(f"  {step.event.type:<28} → {d.service if d else '?':<12} hop {hop} ms  handler {step.handler_s:7.2f} s")
    hops = hop_latencies(deliveries)
    print(f"\nhops: {len(hops)}, p50 {quantile(hops, 0.5) * 1000:.1f} ms, p99 {quantile(hops, 0.99) * 1000:.1f} ms")

    similarity = None
    if args.reference.exists() and args.reference.resolve() != args.save_master.resolve():
        similarity = ssim(args.save_master, args.reference)
        print(f"\nmaster SSIM against {args.reference}: {similarity:.5f}")
    print(f"\ne2e wall {followed.wall_s:.2f} s; floor {floor:.2f} s (one x264 encode of 900 1080×1920 frames); "
          f"ratio {ratio:.2f} (target ≤ {TARGET}); load {window.load_before:.2f} → {window.load_after:.2f}")
    print(f"CPU: generation {window.ours_s:.2f} s (every process of the stack) vs floor {floor_cpu:.2f} s: "
          f"{window.ours_s / floor_cpu:.2f}x (less sensitive to other load than the wall ratio)")
    rows = [Row("e2e", "generation wall / one encode", f"{ratio:.2f} ({followed.wall_s:.1f} s / {floor:.1f} s)",
                f"≤ {TARGET}", ratio <= TARGET)]
    if similarity is not None:
        rows.append(Row("e2e", "master SSIM vs previous master", f"{similarity:.4f}", "≥ 0.99", similarity >= 0.99))
    rows.append(Row("e2e", "generation CPU / one encode's CPU", f"{window.ours_s / floor_cpu:.2f}", "", None))
    write_rows("e2e", rows, {"wall_s": followed.wall_s, "floor_s": [floor_before, floor_after],
                             "load": [window.load_before, window.load_after]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
