"""What the scorer costs per 30 s ad, per sampling setting, and whether it adds wall time to a generation.

1. CPU (this process and its ffmpeg children, as the scorer itself measures it) of scoring one 30 s 1080×1920 ad
   the way the service does: its twelve 2.5 s chunks (caption read while shown), its master (joins, loudness) and
   one re-encoded rendition — for several ADMINT_QUALITY_SAMPLE_* settings. The ad is bench/quality_table.py's
   cached 30 s clip (six offline beats, caption burnt in), cut into chunks at keyframes, with a −16 LUFS tone as
   its bed.
2. With --pipeline: the same small generation (15 s, 180×320) on the dev stack with and without the scorer
   process, twice each: time from request to completion (the critical path) and from completion to the last
   score. On a shared 2-core machine the scorer competes for the same cores; in a deployment it has its own.

    uv run python bench/scorer_cost.py             # CPU per ad (~2 minutes the first time: renders the clip)
    uv run python bench/scorer_cost.py --pipeline  # and the critical path with/without the scorer
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from quality_table import full_size_clip  # noqa: E402
from tests.support.degrade import CAPTION, amplitude_for, tone  # noqa: E402

from admint.contracts.chunks import CaptionShown  # noqa: E402
from admint.media.ffmpeg import ffmpeg  # noqa: E402
from admint.scorer.measure import MediaVideoScorer  # noqa: E402
from admint.scorer.ports import Joins  # noqa: E402
from admint.scorer.sampling import Sampling  # noqa: E402

SETTINGS = {
    "every frame, 320 px (default)": Sampling(),
    "15 fps, 320 px": Sampling(fps=15),
    "10 fps, 240 px": Sampling(fps=10, long_side=240),
}
JOINS = Joins((5.0, 10.0, 15.0, 20.0, 25.0), "cut", 0.0)


async def ad_files(workdir: Path) -> tuple[list[Path], Path, Path]:
    """Twelve 2.5 s chunks, the master (with a bed) and a 1:1 rendition of the cached 30 s clip."""
    clip = await full_size_clip(ROOT / "out" / "bench-quality")
    pattern = workdir / "chunk-%02d.mp4"
    await ffmpeg("-i", str(clip), "-c", "copy", "-f", "segment", "-segment_time", "2.5", "-reset_timestamps", "1",
                 str(pattern))
    chunks = sorted(workdir.glob("chunk-*.mp4"))
    bed = tone(workdir / "bed.wav", amplitude_for(-16.0), seconds=30.0)
    master = workdir / "master.mp4"
    await ffmpeg("-i", str(clip), "-i", str(bed), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac",
                 "-shortest", str(master))
    square = workdir / "1x1.mp4"
    await ffmpeg("-i", str(master), "-vf", "crop=1080:1080:0:420", "-c:v", "libx264", "-preset", "veryfast",
                 "-c:a", "copy", str(square), timeout_s=600)
    return chunks, master, square


async def cost() -> None:
    with tempfile.TemporaryDirectory(prefix="admint-scorer-cost-") as tmp:
        chunks, master, square = await ad_files(Path(tmp))
        caption = CaptionShown(text=CAPTION, start_s=0.3, end_s=2.2)
        print(f"one 30 s 1080×1920 ad: {len(chunks)} chunks + master + one 1:1 rendition "
              f"({os.cpu_count()} cores, shared)")
        print(f"{'sampling':32s} {'chunks':>8s} {'master':>8s} {'1:1':>8s} {'per ad':>8s}  CPU s   (wall s)")
        for label, sampling in SETTINGS.items():
            scorer = MediaVideoScorer(sampling)
            started = time.perf_counter()
            chunk_cpu = sum([(await scorer.score_chunk(c, caption)).cpu_s for c in chunks])
            master_scores = await scorer.score_master(master, JOINS)
            square_scores = await scorer.score_master(square, JOINS)
            total = chunk_cpu + master_scores.cpu_s + square_scores.cpu_s
            print(f"{label:32s} {chunk_cpu:8.1f} {master_scores.cpu_s:8.1f} {square_scores.cpu_s:8.1f} "
                  f"{total:8.1f}  ({time.perf_counter() - started:.1f}); master overall "
                  f"{master_scores.overall:.1f}, {master_scores.integrated_lufs} LUFS")


def pipeline(runs: int) -> None:
    import httpx
    from tests.support.sse import read_events

    from admint.devstack.processes import DevStack

    key = "bench-" + os.urandom(4).hex()
    body = {"brief": "15-second ad for a reusable steel water bottle, calm, premium", "duration_s": 15,
            "aspect": "9:16", "renditions": ["1:1"]}
    for scorer in (True, False):
        with tempfile.TemporaryDirectory(prefix="admint-bench-") as tmp:
            stack = DevStack(Path(tmp), env={"ADMINT_RENDER_LONG_SIDE": "320", "ADMINT_DEV_API_KEY": key,
                                             "ADMINT_ENVIRONMENT": "test", "ADMINT_SSE_KEEPALIVE_S": "1"},
                             replicas={"scorer": 1 if scorer else 0})
            stack.start()
            try:
                critical, after = [], []
                with httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {key}"},
                                  timeout=60) as api:
                    for i in range(runs):
                        gen = api.post("/v1/generations", json={**body, "seed": 100 + i}).json()
                        events = read_events(api, gen["links"]["events"], timeout_s=600)
                        kinds = [e.event for e in events]
                        assert "generation.completed.v1" in kinds, kinds
                        critical.append(_seconds(events, "generation.completed.v1"))
                        if scorer:
                            after.append(_seconds(events, "quality.scored.v1", last=True) - critical[-1])
                note = f", last score {statistics.mean(after):.1f} s after completion" if scorer else ""
                print(f"pipeline {'with' if scorer else 'without'} the scorer: request → completed "
                      f"{statistics.mean(critical):.1f} s (runs {', '.join(f'{c:.1f}' for c in critical)}){note}")
            finally:
                stack.stop()


def _seconds(events: list, kind: str, last: bool = False) -> float:
    """Seconds from the request to the (first or last) event of that kind, by the events' occurred_at."""
    from datetime import datetime

    first = datetime.fromisoformat(events[0].data["occurred_at"])
    found = [e for e in events if e.event == kind]
    end = found[-1] if last else found[0]
    return (datetime.fromisoformat(end.data["occurred_at"]) - first).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", action="store_true", help="also time a generation with/without the scorer")
    parser.add_argument("--runs", type=int, default=2, help="generations per setting with --pipeline")
    args = parser.parse_args()
    asyncio.run(cost())
    if args.pipeline:
        pipeline(args.runs)


if __name__ == "__main__":
    main()
