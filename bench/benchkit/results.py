"""Result rows of the benchmarks: each bench prints its own report and writes its rows (figure, value, target,
met) to a JSON file; bench/all.py runs them all and prints the rows as one table."""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_DIR = Path(os.environ.get("ADMINT_BENCH_RESULTS", "out/bench"))


@dataclass(frozen=True)
class Row:
    bench: str
    figure: str
    value: str
    target: str
    met: bool | None
    """None: a figure printed for context, with no target."""


def write_rows(bench: str, rows: list[Row], extra: dict[str, object] | None = None) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{bench}.json"
    path.write_text(json.dumps({"rows": [asdict(r) for r in rows], "extra": extra or {}}, indent=1, default=str))
    return path


def read_rows(bench: str) -> list[Row]:
    path = RESULTS_DIR / f"{bench}.json"
    if not path.exists():
        return []
    return [Row(**r) for r in json.loads(path.read_text())["rows"]]


def table(rows: list[Row]) -> str:
    head = ("bench", "figure", "value", "target", "met?")
    cells = [head] + [(r.bench, r.figure, r.value, r.target,
                       "-" if r.met is None else ("yes" if r.met else "NO")) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(head))) for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
