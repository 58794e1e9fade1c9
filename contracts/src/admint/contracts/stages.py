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
WAITING = "awaiting_approval"
"""An interactive generation waits for its owner at a checkpoint (the document's `checkpoint` says which)."""
EXPIRED = "expired"
"""Terminal: nobody acted at a checkpoint within the approval deadline."""


@dataclass(frozen=True)
class CheckpointDef:
    """One place an interactive generation may stop for its owner: after `after` finished, before `before`."""

    name: str
    """Checkpoint name in the API (`checkpoints`, `POST …/approve {checkpoint}`) and in events."""
    after: str
    """Stage whose work the owner looks at here."""
    before: str
    """Stage that starts once the last checkpoint before it is approved."""


CHECKPOINT_TABLE: tuple[CheckpointDef, ...] = (
    CheckpointDef("moods", after="planning", before="storyboard"),
    CheckpointDef("plan", after="planning", before="storyboard"),
    CheckpointDef("storyboard", after="storyboard", before="chunking"),
)
"""Checkpoints in the order a generation meets them (moods and plan both sit between planning and storyboard)."""
DEFAULT_CHECKPOINTS: tuple[str, ...] = ("plan", "storyboard")


@dataclass(frozen=True)
class Position:
    """Where a generation is on its way: a status, and for a waiting one the checkpoint it waits at."""

    status: str
    checkpoint: str | None = None


@dataclass(frozen=True)
class Guard:
    """The positions a move may start from: plain statuses, and checkpoints of a waiting generation."""

    statuses: tuple[str, ...]
    checkpoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pipeline:
    """Everything the code needs to know about the order of work, derived from a stage table (and the checkpoints
    an interactive generation may wait at between its stages)."""

    stages: tuple[StageDef, ...]
    checkpoints: tuple[CheckpointDef, ...] = ()

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
        waiting = (WAITING,) if self.checkpoints else ()
        expired = (EXPIRED,) if self.checkpoints else ()
        return (*self.status_order, *waiting, *ENDINGS, *expired)

    @cached_property
    def terminal(self) -> frozenset[str]:
        return frozenset((COMPLETED, *ENDINGS, *((EXPIRED,) if self.checkpoints else ())))

    @cached_property
    def active(self) -> tuple[str, ...]:
        """Statuses of a generation not finished yet (counted against a key's concurrent limit; cancellable)."""
        return (*self.status_order[:-1], *((WAITING,) if self.checkpoints else ()))

    @cached_property
    def checkpoint_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checkpoints)

    @cached_property
    def positions(self) -> tuple[Position, ...]:
        """The forward-only order including the checkpoints: queued, planning, (waiting at moods), (waiting at
        plan), storyboarding, (waiting at storyboard), chunking, …, completed."""
        out = [Position(QUEUED)]
        for stage in self.stages:
            out += [Position(WAITING, c.name) for c in self.checkpoints if c.before == stage.name]
            out.append(Position(stage.status))
        return (*out, Position(COMPLETED))

    def guard(self, target: str, checkpoint: str | None = None) -> Guard:
        """The positions from which `target` (a status, or WAITING at `checkpoint`) may be reached: every earlier
        non-terminal one and itself (idempotently). failed and cancelled are reachable from every non-terminal
        position; expired only from a waiting one; nothing leaves a terminal status."""
        waiting = tuple(c.name for c in self.checkpoints)
        if target in ENDINGS:
            return Guard(self.active, waiting)
        if target == EXPIRED:
            return Guard((), waiting)
        here = Position(target, checkpoint if target == WAITING else None)
        if here not in self.positions:
            raise ValueError(f"unknown position {target!r} {checkpoint or ''}".strip())
        before = self.positions[: self.positions.index(here) + 1]
        return Guard(tuple(dict.fromkeys(p.status for p in before if p.status != WAITING)),
                     tuple(p.checkpoint for p in before if p.checkpoint))

    def next_after(self, checkpoint: str, enabled: tuple[str, ...] | list[str]) -> tuple[str | None, StageDef]:
        """What follows an approved checkpoint: the next enabled checkpoint before the same stage (the generation
        keeps waiting), else None; and the stage that eventually starts."""
        names = self.checkpoint_names
        if checkpoint not in names:
            raise ValueError(f"unknown checkpoint {checkpoint!r}")
        this = self.checkpoints[names.index(checkpoint)]
        later = [c.name for c in self.checkpoints[names.index(checkpoint) + 1:]
                 if c.name in enabled and c.before == this.before]
        return (later[0] if later else None), self.by_name[this.before]

    def first_checkpoint_after(self, stage: str, enabled: tuple[str, ...] | list[str]) -> str | None:
        """The first enabled checkpoint that waits on `stage`'s work (None: go straight on)."""
        return next((c.name for c in self.checkpoints if c.after == stage and c.name in enabled), None)

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


PIPELINE = Pipeline(STAGE_TABLE, CHECKPOINT_TABLE)

if TYPE_CHECKING:  # a Literal built from the table is exact at run time (pydantic, JSON Schema); mypy sees str
    Stage = str
    Status = str
    Checkpoint = str
else:
    Stage = Literal[PIPELINE.names]
    Status = Literal[PIPELINE.statuses]
    Checkpoint = Literal[PIPELINE.checkpoint_names]
