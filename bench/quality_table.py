"""Quality-score benchmark: the degradation table and the CPU cost of scoring a 30 s 1080×1920 clip.

1. Renders one clean 180×320 clip with the offline video model (caption burnt in) and eight degraded copies
   (tests/support/degrade.py), scores each, and prints, per copy, the dimension it damages (clean vs degraded)
   and the overall score (clean vs degraded).
2. With --cost: renders a 30 s 1080×1920 house-format clip (six 5 s offline beats, caption burnt in, cached
   under out/bench-quality/), scores it as a clip and as a master, and prints wall and CPU seconds (this
   process plus its ffmpeg children).

    uv run python bench/quality_table.py            # the table (~30 s)
    uv run python bench/quality_table.py --cost     # the table and the 1080×1920 cost (first run renders)
"""

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.support (the degradations) lives beside the packages

from tests.support.degrade import caption_for, degradation_table, render_beat_file, render_suite  # noqa: E402

from admint.contracts.common import CameraMovement  # noqa: E402
from admint.media.ffmpeg import ffmpeg  # noqa: E402
from admint.media.house import HOUSE  # noqa: E402
from admint.scorer.report import QualityReport, score_clip, score_master  # noqa: E402

MOVES: tuple[CameraMovement, ...] = ("dolly_in", "pan_left", "orbit", "tilt_up", "pan_right", "dolly_out")


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def table() -> None:
    with tempfile.TemporaryDirectory(prefix="admint-quality-") as tmp:
        caption, clips = await render_suite(Path(tmp))
        reports = {name: await score_clip(path, caption=caption) for name, path in clips.items()}
    clean = reports.pop("clean")
    print(degradation_table(clean, reports))
    print(f"(180×320, {clean.sampled_frames} frames; clean clip: "
          + ", ".join(f"{k} {v:.1f}" for k, v in clean.dimensions.items()) + ")")


async def full_size_clip(workdir: Path) -> Path:
    """30 s of 1080×1920 house-format video: six offline beats, the caption burnt in (cached)."""
    out = workdir / "clip-1080x1920-30s.mp4"
    if out.exists():
        return out
    workdir.mkdir(parents=True, exist_ok=True)
    beats = [await render_beat_file(workdir, 1080, 1920, 5.0, palette=i % 2, movement=move, seed=20 + i)
             for i, move in enumerate(MOVES)]
    caption = caption_for(1080, 1920)
    png = workdir / "caption.png"
    png.write_bytes(caption.png)
    inputs = [arg for beat in beats for arg in ("-i", str(beat))]
    chain = "".join(f"[{i}:v]" for i in range(len(beats))) + f"concat=n={len(beats)}:v=1:a=0[v];"
    chain += f"[v][{len(beats)}:v]overlay={caption.x}:{caption.y}:format=auto,format=yuv420p[out]"
    await ffmpeg(*inputs, "-i", str(png), "-filter_complex", chain, "-map", "[out]", *HOUSE.video_args(),
                 str(out), timeout_s=1800)
    return out


async def cost() -> None:
    clip = await full_size_clip(ROOT / "out" / "bench-quality")
    caption = caption_for(1080, 1920)
    runs: list[tuple[str, QualityReport, float, float]] = []
    # Scored as one clip, the six different beats make subject consistency low (by design: a clip is one beat).
    for label, job in (("as one clip, caption scored", lambda: score_clip(clip, caption=caption)),
                       ("as one clip, no caption", lambda: score_clip(clip)),
                       ("master, 5 joins", lambda: score_master(clip, [4.75, 9.75, 14.75, 19.75, 24.75],
                                                                transition_kind="cut"))):
        cpu, wall = cpu_seconds(), time.perf_counter()
        report = await job()
        runs.append((label, report, time.perf_counter() - wall, cpu_seconds() - cpu))
    for label, report, wall_s, cpu_s in runs:
        print(f"30 s 1080×1920, {label}: {cpu_s:.1f} CPU s, {wall_s:.1f} wall s, {report.sampled_frames} frames "
              f"at {report.analysis_size[0]}×{report.analysis_size[1]}, overall {report.overall:.1f}")
        print("    " + ", ".join(f"{k} {v:.1f}" for k, v in report.dimensions.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cost", action="store_true", help="also time scoring a 30 s 1080×1920 clip")
    args = parser.parse_args()
    asyncio.run(table())
    if args.cost:
        asyncio.run(cost())


if __name__ == "__main__":
    main()
