"""Rich rendering: live progress bars for `generate`/`watch`, tables for `status`/`list`."""

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from admint.cli.progress import STEPS, GenerationProgress
from admint.cli.quality_view import quality_rows


class ProgressBars:
    """One rich task per stage, mirroring GenerationProgress; indeterminate (pulsing) until a total is known."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("[dim]{task.fields[note]}"), console=console, transient=False,
        )
        self.tasks = {name: self.progress.add_task(name, total=None, start=False, note="") for name in STEPS}

    def __enter__(self) -> "ProgressBars":
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def update(self, state: GenerationProgress) -> None:
        for name, step in state.steps.items():
            task = self.tasks[name]
            if step.started and not self.progress.tasks[task].started:
                self.progress.start_task(task)
            self.progress.update(task, total=step.total, completed=step.done, note=step.note)
            if step.finished:
                self.progress.stop_task(task)


def generation_table(view: dict[str, Any]) -> Table:
    spec = view.get("spec") or {}
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("id", view.get("id", ""))
    table.add_row("status", f"{view.get('status')}" + (f" ({view['stage']})" if view.get("stage") else "")
                  + (f" · retry {view['attempt']}" if view.get("attempt") else ""))
    table.add_row("brief", str(spec.get("brief", ""))[:100])
    size = spec.get("size") or {}
    table.add_row("format", f"{spec.get('duration_s')} s · {spec.get('aspect')} · "
                            f"{size.get('width')}×{size.get('height')} · seed {spec.get('seed')}")
    plan = view.get("plan") or {}
    if plan:
        table.add_row("plan", f"{plan.get('archetype', '')} · {plan.get('framework', '')} · "
                              f"{len(plan.get('beats', []))} beats · CTA “{plan.get('call_to_action', '')}”")
    for field in ("frames", "chunks"):
        value = view.get(field)
        if value:
            table.add_row(field, str(len(value)))
    if renditions := view.get("renditions"):
        table.add_row("renditions", " · ".join(rendition_note(r) for r in renditions))
    costs = view.get("costs") or {}
    table.add_row("cost", f"${costs.get('total_usd', 0):.4f}")
    for label, text in quality_rows(view):
        table.add_row(label, text)
    table.add_row("created", str(view.get("created_at", "")))
    if view.get("error"):
        error = view["error"]
        table.add_row("error", f"[red]{error.get('stage', '')}: {error.get('reason', '')}")
    return table


def rendition_note(rendition: dict[str, Any]) -> str:
    """`9:16 ✓` when its spec check passed, else `1:1 ✗ <first problem>`."""
    check = rendition.get("spec_check") or {}
    if check.get("passed"):
        return f"{rendition.get('aspect', '?')} ✓"
    problems = check.get("problems") or ["spec check failed"]
    return f"{rendition.get('aspect', '?')} [red]✗ {escape(str(problems[0]))}[/]"


def list_table(items: list[dict[str, Any]]) -> Table:
    table = Table("id", "status", "created", "length", "aspect", "brief")
    for item in items:
        table.add_row(item["id"], item["status"], str(item.get("created_at", ""))[:19], f"{item.get('duration_s')} s",
                      str(item.get("aspect", "")), str(item.get("brief", ""))[:50])
    return table
