"""The pipeline's one stage table. Every list of stages or statuses in the code is derived from it.

A stage is a step of the automatic path: the status a generation is in while the stage works, the service that
owns it, the event that starts it, the event that ends it, and how long it may take. Status order, the watchdog's
and the retry's maps, the gateway's status filter and the CLI's bars all come from `PIPELINE`; adding a stage is one
row here (plus its events and its service). `Pipeline` takes the table as an argument, so a test can derive the
maps from a longer table and see that nothing else needs an edit.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal


@dataclass(frozen=True)
class StageDef:
    """One row of the stage table."""

    name: str
    """Stage name in events (generation.failed.v1 `stage`, stage.progress.v1 `stage`, cost entries)."""
    status: str
    """Generation status while the stage works."""
    service: str
    """Service that owns the stage (its watchdog sweeps it; its failures name it)."""
    entry_event: str
    """Event that starts the stage; a retry round re-publishes it."""
    completion_event: str
    """Event that ends the stage (its duration is measured up to it)."""
    budget_s: float
    """Default longest time in the stage before the watchdog fails the generation."""
    label: str
    """Short name of the stage's progress bar."""


STAGE_TABLE: tuple[StageDef, ...] = (
    StageDef("planning", "planning", "planner", "generation.requested.v1", "plan.completed.v1", 300, "planning"),
    StageDef("storyboard", "storyboarding", "storyboard", "plan.completed.v1", "storyboard.completed.v1", 900,
             "storyboard"),
    StageDef("chunking", "chunking", "chunker", "storyboard.completed.v1", "chunks.completed.v1", 3600, "chunks"),
    StageDef("stitching", "stitching", "stitcher", "chunks.completed.v1", "stitch.completed.v1", 900, "stitching"),
    StageDef("exporting", "exporting", "exporter", "stitch.completed.v1", "export.completed.v1", 900, "export"),
)

QUEUED = "queued"
COMPLETED = "completed"
ENDINGS = ("failed", "cancelled")
"""Terminal statuses reachable from any active one (besides completed, which only the last stage reaches)."""


@dataclass(frozen=True)
class Pipeline:
    """Everything the code needs to know about the order of work, derived from a stage table."""

    stages: tuple[StageDef, ...]

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    @cached_property
    def status_order(self) -> tuple[str, ...]:
        """The forward-only order of the automatic path: queued, one status per stage, completed."""
        return (QUEUED, *(s.status for s in self.stages), COMPLETED)

    @cached_property
    def statuses(self) -> tuple[str, ...]:
        """Every status a generation can have."""
        return (*self.status_order, *ENDINGS)

    @cached_property
    def terminal(self) -> frozenset[str]:
        return frozenset((COMPLETED, *ENDINGS))

    @cached_property
    def active(self) -> tuple[str, ...]:
        """Statuses of a generation still in work (counted against a key's concurrent limit)."""
        return self.status_order[:-1]

    @cached_property
    def by_name(self) -> dict[str, StageDef]:
        return {s.name: s for s in self.stages}

    @cached_property
    def stage_of_status(self) -> dict[str, str]:
        return {s.status: s.name for s in self.stages}

    @cached_property
    def status_of_stage(self) -> dict[str, str]:
        return {s.name: s.status for s in self.stages}

    @cached_property
    def entry_event(self) -> dict[str, str]:
        """Stage → the event that starts it (re-published by a retry round)."""
        return {s.name: s.entry_event for s in self.stages}

    @cached_property
    def completed_by(self) -> dict[str, StageDef]:
        """Completion event type → the stage it ends."""
        return {s.completion_event: s for s in self.stages}

    @cached_property
    def budgets_s(self) -> dict[str, float]:
        return {s.name: s.budget_s for s in self.stages}

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.stages)

    def stages_of(self, service: str) -> tuple[StageDef, ...]:
        return tuple(s for s in self.stages if s.service == service)

    def after(self, stage: str) -> StageDef | None:
        """The stage that follows `stage`, None after the last."""
        index = self.names.index(stage)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None

    def statuses_before(self, target: str) -> list[str]:
        """Statuses from which `target` may be reached: any earlier non-terminal one (and itself, idempotently).

        failed/cancelled are reachable from every non-terminal status; nothing leaves a terminal status.
        """
        if target in ENDINGS:
            return list(self.active)
        if target not in self.status_order:
            raise ValueError(f"unknown status {target!r}")
        return list(self.status_order[: self.status_order.index(target) + 1])


PIPELINE = Pipeline(STAGE_TABLE)

if TYPE_CHECKING:  # a Literal built from the table is exact at run time (pydantic, JSON Schema); mypy sees str
    Stage = str
    Status = str
else:
    Stage = Literal[PIPELINE.names]
    Status = Literal[PIPELINE.statuses]
