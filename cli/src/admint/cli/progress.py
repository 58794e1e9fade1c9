"""What the SSE feed says about progress, as one bar per stage of the stage table (planning, storyboard n/N,
chunks n/N, stitching, export).

Pure state (unit-tested) fed with events; a rich view draws it. A stage's completion event (from the table)
finishes its bar and starts the next; a few events add counts and notes. Unknown event types are ignored, so a
newer gateway never breaks an older CLI.
"""

from dataclasses import dataclass, field
from typing import Any

from admint.contracts.stages import PIPELINE

STEPS = PIPELINE.labels
_STAGE_STEP = {s.name: s.label for s in PIPELINE.stages}
_FIRST = PIPELINE.stages[0]


@dataclass
class Step:
    name: str
    done: int = 0
    total: int | None = None
    started: bool = False
    finished: bool = False
    note: str = ""

    def finish(self) -> None:
        self.started = self.finished = True
        if self.total is None:
            self.total = 1
        self.done = self.total


@dataclass
class GenerationProgress:
    steps: dict[str, Step] = field(default_factory=lambda: {name: Step(name) for name in STEPS})
    outcome: str | None = None
    """completed, failed or cancelled, once known."""
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    _frames: set[int] = field(default_factory=set)
    _chunks: set[tuple[int, int]] = field(default_factory=set)
    _chunks_per_beat: dict[int, int] = field(default_factory=dict)

    def _start(self, name: str) -> Step:
        for earlier in STEPS[: STEPS.index(name)]:
            if not self.steps[earlier].finished:
                self.steps[earlier].finish()
        step = self.steps[name]
        step.started = True
        return step

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        if event_type == _FIRST.entry_event:
            self._start(_FIRST.label)
        if (ended := PIPELINE.completed_by.get(event_type)) is not None:
            self.steps[ended.label].finish()
            if (following := PIPELINE.after(ended.name)) is not None:
                self._start(following.label)
        handler = getattr(self, "_on_" + event_type.rsplit(".", 1)[0].replace(".", "_"), None)
        if handler is not None:
            handler(data)

    def _on_plan_completed(self, data: dict[str, Any]) -> None:
        plan = data.get("plan") or {}
        self.steps["planning"].note = f"{plan.get('archetype', '')} · {len(plan.get('beats', []))} beats".strip(" ·")
        self.steps["storyboard"].total = len(plan.get("beats", [])) or None

    def _on_frame_completed(self, data: dict[str, Any]) -> None:
        step = self._start("storyboard")
        self._frames.add(int(data.get("beat_index", 0)))
        step.total = int(data.get("beat_count") or step.total or 0) or None
        step.done = max(step.done, len(self._frames))

    def _on_chunk_requested(self, data: dict[str, Any]) -> None:
        self._count_chunks(data, completed=False)

    def _on_chunk_completed(self, data: dict[str, Any]) -> None:
        self._count_chunks(data, completed=True)

    def _count_chunks(self, data: dict[str, Any], completed: bool) -> None:
        step = self._start("chunks")
        beat = int(data.get("beat_index", 0))
        self._chunks_per_beat[beat] = int(data.get("chunk_count", 1))
        if completed:
            self._chunks.add((beat, int(data.get("chunk_index", 0))))
        known = sum(self._chunks_per_beat.values())
        beats = self.steps["storyboard"].total or 0
        if len(self._chunks_per_beat) >= beats:  # every beat reported its chunk count: the total is exact
            step.total = known
        step.done = max(step.done, len(self._chunks))

    def _on_chunks_completed(self, data: dict[str, Any]) -> None:
        step = self.steps["chunks"]
        step.total = step.done = len(data.get("chunks", [])) or step.total or 1

    def _on_stitch_completed(self, data: dict[str, Any]) -> None:
        self.steps["stitching"].note = f"{data.get('duration_s', 0):.1f} s" + (
            "" if data.get("has_audio", True) else " · no music"
        )

    def _on_export_completed(self, data: dict[str, Any]) -> None:
        self.steps["export"].note = ", ".join(r.get("aspect", "") for r in data.get("renditions", []))

    def _on_stage_progress(self, data: dict[str, Any]) -> None:
        name = _STAGE_STEP.get(str(data.get("stage")))
        if name is None:
            return
        step = self._start(name)
        total = int(data.get("total") or 0)
        if total:
            step.total = total
        done = int(data.get("done") or 0)
        if data.get("message") and done >= step.done:  # reports arrive out of order: keep the latest
            step.note = str(data["message"])[:60]
        step.done = max(step.done, done)

    def _on_generation_completed(self, data: dict[str, Any]) -> None:
        for step in self.steps.values():
            step.finish()
        self.outcome = "completed"
        self.result = data

    def _on_generation_failed(self, data: dict[str, Any]) -> None:
        self.outcome = "failed"
        stage = data.get("stage", "")
        self.reason = f"{stage}: {data.get('reason', 'unknown reason')}" if stage else str(data.get("reason"))

    def _on_generation_cancelled(self, data: dict[str, Any]) -> None:
        self.outcome = "cancelled"
        self.reason = str(data.get("reason") or "cancelled")
