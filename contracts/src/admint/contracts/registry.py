"""Every event type in one discriminated union, for decoding anything on the bus."""

from typing import Annotated

from pydantic import Field, TypeAdapter

from admint.contracts.chunks import ChunkCompleted, ChunkRequested, ChunksCompleted
from admint.contracts.envelope import Event
from admint.contracts.export import ExportCompleted
from admint.contracts.generation import (
    GenerationCancelled,
    GenerationCompleted,
    GenerationDeleted,
    GenerationFailed,
    GenerationRequested,
    MessageDeadLettered,
    StageProgress,
)
from admint.contracts.quality import QualityScored
from admint.contracts.stitch import StitchCompleted
from admint.contracts.storyboard import FrameCompleted, FrameRequested, PlanCompleted, StoryboardCompleted

EVENT_MODELS: tuple[type[Event], ...] = (
    GenerationRequested,
    PlanCompleted,
    FrameRequested,
    FrameCompleted,
    StoryboardCompleted,
    ChunkRequested,
    ChunkCompleted,
    ChunksCompleted,
    StitchCompleted,
    ExportCompleted,
    GenerationCompleted,
    GenerationFailed,
    GenerationCancelled,
    GenerationDeleted,
    StageProgress,
    MessageDeadLettered,
    QualityScored,
)

AnyEvent = Annotated[
    GenerationRequested
    | PlanCompleted
    | FrameRequested
    | FrameCompleted
    | StoryboardCompleted
    | ChunkRequested
    | ChunkCompleted
    | ChunksCompleted
    | StitchCompleted
    | ExportCompleted
    | GenerationCompleted
    | GenerationFailed
    | GenerationCancelled
    | GenerationDeleted
    | StageProgress
    | MessageDeadLettered
    | QualityScored,
    Field(discriminator="type"),
]

ANY_EVENT: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

EVENT_TYPES: dict[str, type[Event]] = {m.model_fields["type"].default: m for m in EVENT_MODELS}
TERMINAL_TYPES: frozenset[str] = frozenset(t for t, m in EVENT_TYPES.items() if m.TERMINAL)


def parse_event(data: bytes | str | dict[str, object]) -> Event:
    """Decode any admint event from JSON bytes/str or a dict (pydantic ValidationError when invalid)."""
    if isinstance(data, dict):
        return ANY_EVENT.validate_python(data)
    return ANY_EVENT.validate_json(data)
