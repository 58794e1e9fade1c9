"""`admint variants`: A/B variants of one brief — live bars per member, then the members ranked by quality.

Pure state (GroupProgress, fed with the group's SSE events) and rich rendering (MemberBars, ranked_table); the
command itself is in app.py.
"""

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from admint.cli.progress import GenerationProgress

DIMENSION_COLUMNS = {
    "sharpness": "sharp", "exposure": "expo", "contrast": "contr", "colourfulness": "colour",
    "temporal_flicker": "flick", "motion_smoothness": "motion", "subject_consistency": "consist",
    "frozen_segments": "frozen", "black_segments": "black", "caption_legibility": "caption",
    "join_smoothness": "joins", "loudness": "loud",
}


@dataclass
class GroupProgress:
    """Each member's progress (the single-generation state) and its master's score once scored."""

    members: dict[str, GenerationProgress] = field(default_factory=dict)
    overall: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, accepted: dict[str, Any], labels: dict[str, str] | None = None) -> "GroupProgress":
        ids = [m["id"] for m in accepted.get("members", [])]
        return cls({g: GenerationProgress() for g in ids}, {}, labels or {})

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        gid = str(data.get("generation_id", ""))
        if gid not in self.members:
            return
        self.members[gid].apply(event_type, data)
        scores = data.get("scores") or {}
        if event_type == "quality.scored.v1" and data.get("kind") == "master" and "overall" in scores:
            self.overall[gid] = float(scores["overall"])

    def fraction(self, gid: str) -> float:
        """0–1: the share of the member's stages done (each stage counted by its own progress)."""
        steps = list(self.members[gid].steps.values())
        return sum((s.done / s.total) if s.total else (1.0 if s.finished else 0.0) for s in steps) / len(steps)

    def note(self, gid: str) -> str:
        state = self.members[gid]
        if state.outcome:
            score = self.overall.get(gid)
            return state.outcome + (f" · overall {score:.1f}" if score is not None else " · scoring")
        current = next((s for s in state.steps.values() if s.started and not s.finished), None)
        return current.name if current else "queued"


class MemberBars:
    """One live bar per member."""

    def __init__(self, console: Console, state: GroupProgress) -> None:
        self.state = state
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<22}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                 TextColumn("[dim]{task.fields[note]}"), console=console)
        self.tasks = {g: self.progress.add_task(f"{g[-8:]} {state.labels.get(g, '')}", total=100, note="queued")
                      for g in state.members}

    def __enter__(self) -> "MemberBars":
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def update(self) -> None:
        for gid, task in self.tasks.items():
            self.progress.update(task, completed=100 * self.state.fraction(gid), note=self.state.note(gid))


def member_label(overrides: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in overrides.items())


def _num(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def ranked_table(view: dict[str, Any]) -> Table:
    """Members in rank order with what they differ in and every dimension side by side."""
    members = view.get("members", [])
    shown = [d for d in DIMENSION_COLUMNS if any((m.get("dimensions") or {}).get(d) is not None for m in members)]
    table = Table(title=f"group {view.get('id', '')} · {view.get('status', '')}"
                        + (f" · winner {view['winner']['generation_id']}" if view.get("winner") else ""))
    table.add_column("#")
    table.add_column("generation", no_wrap=True, min_width=26)  # the full id: it is what the user types next
    for column in ("status", "overall", "Δ best", *view.get("varying", [])):
        table.add_column(column)
    for d in shown:
        table.add_column(DIMENSION_COLUMNS[d], justify="right")
    for m in members:
        diffs = m.get("differences") or {}
        dims = m.get("dimensions") or {}
        table.add_row(str(m.get("rank") or "—"), m["generation_id"], m["status"], _num(m.get("overall")),
                      _num(m.get("behind_best")), *(str(diffs.get(v, "")) for v in view.get("varying", [])),
                      *(_num(dims.get(d), 0) for d in shown))
    return table
