"""`make bench`: every benchmark, one after another, then one table of their figures, targets and whether each
is met. Each bench prints its own report (with its in-run baseline) as it goes and leaves its rows in
out/bench/<name>.json; this runner adds the stitch ratios and the machine's load, and the total time.

    uv run python bench/all.py [--only e2e,sse] [--skip-moviepy]
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from benchkit.cpu import load_average
from benchkit.results import RESULTS_DIR, Row, read_rows, table

HERE = Path(__file__).resolve().parent
ORDER = ("stitch", "e2e", "overhead", "scaling", "sse", "api", "tracing_overhead", "revision")
STITCH = {"(a)/(c)": 30.0, "(b)/(c)": 5.0}
EXTRA = {"tracing_overhead": ["--n", "5000"]}
"""Arguments that keep the whole run under 15 minutes on the shared 2-core machine (the ratios stay)."""


def run(name: str, extra: list[str]) -> tuple[int, str, float]:
    began = time.monotonic()
    print(f"\n=== {name} (load {load_average():.2f}) ===", flush=True)
    proc = subprocess.Popen([sys.executable, str(HERE / f"{name}.py"), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return proc.wait(), "".join(lines), time.monotonic() - began


def stitch_rows(output: str) -> list[Row]:
    found = re.search(r"ratios: \(a\)/\(c\) = (\S+)\s+\(b\)/\(c\) = (\S+)", output)
    if not found:
        return [Row("stitch", "ratios", "not printed", "", False)]
    rows = []
    for (label, target), value in zip(STITCH.items(), found.groups(), strict=True):
        ok = value != "n/a" and float(value) >= target
        rows.append(Row("stitch", f"{label} wall", value, f"≥ {target:g}", ok if value != "n/a" else None))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ORDER))
    parser.add_argument("--skip-moviepy", action="store_true")
    args = parser.parse_args()
    began = time.monotonic()
    load = [load_average()]
    rows: list[Row] = []
    seconds: dict[str, float] = {}
    for name in [n for n in ORDER if n in args.only.split(",")]:
        (RESULTS_DIR / f"{name}.json").unlink(missing_ok=True)
        extra = ["--skip-moviepy"] if name == "stitch" and args.skip_moviepy else EXTRA.get(name, [])
        code, output, seconds[name] = run(name, extra)
        load.append(load_average())
        if name == "stitch":
            rows += stitch_rows(output)
        elif name == "revision":
            found = re.search(r"ratio \(a\)/\(b\) = (\S+)x", output)
            value = float(found.group(1)) if found else None
            rows.append(Row("revision", "full generation / one-beat revision (6 beats, 30 s)",
                            f"{value:g}" if value is not None else "not printed", "≥ 4",
                            value >= 4 if value is not None else False))
        elif name == "tracing_overhead":
            found = re.search(r"ratio off/bare = (\S+)\s+on/bare = (\S+)", output)
            rows.append(Row("tracing", "worker.deliver off/bare, on/bare",
                            f"{found.group(1)}, {found.group(2)}" if found else "not printed", "", None))
        else:
            rows += read_rows(name) or [Row(name, "run", f"exit {code}, no figures", "", False)]
        if code != 0:
            rows.append(Row(name, "run", f"exit {code}", "0", False))
    total = time.monotonic() - began
    rows.append(Row("bench", "make bench wall", f"{total / 60:.1f} min", "< 15 min", total < 15 * 60))
    print("\n" + table(rows))
    print("\nper bench: " + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
          + f"; load average during the run: {min(load):.2f}–{max(load):.2f} (2 cores, shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
