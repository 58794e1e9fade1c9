"""What the gateway publishes, declared like a service's `produces`: typed FastStream publishers (the AsyncAPI
document lists them beside the services') used by the gateway's EventPublisher.

The gateway publishes a new generation's request, a cancellation, and — for POST …/retry — the entry event of the
stage a retry round re-runs (any stage's, so every entry event of the stage table), and what the studio's commands
set going (core/steering.py): approvals, plan changes, beat cards, feedback to interpret, new frame takes, versions.
"""

from typing import Any

from faststream.nats import NatsBroker

from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationCancelled, GenerationRequested
from admint.contracts.interactive import (
    BeatUpdated,
    CheckpointApproved,
    CheckpointReached,
    FeedbackRequested,
    PlanChanged,
    VersionRequested,
)
from admint.contracts.registry import EVENT_TYPES
from admint.contracts.stages import PIPELINE
from admint.contracts.storyboard import FrameRequested
from admint.contracts.subjects import subject_filter
from admint.core.bus import stream_of
from admint.core.settings import CoreSettings

SERVICE = "gateway"


def published_events() -> tuple[type[Event], ...]:
    entries = [EVENT_TYPES[stage.entry_event] for stage in PIPELINE.stages if stage.entry_event in EVENT_TYPES]
    studio = (CheckpointApproved, CheckpointReached, PlanChanged, BeatUpdated, FeedbackRequested, FrameRequested,
              VersionRequested)
    return tuple(dict.fromkeys((GenerationRequested, GenerationCancelled, *entries, *studio)))


def declare_publishers(broker: NatsBroker, settings: CoreSettings) -> dict[str, Any]:
    """Event type → its typed publisher on `broker` (for EventPublisher and the AsyncAPI document)."""
    publishers: dict[str, Any] = {}
    for model in published_events():
        event_type = model.model_fields["type"].default
        publishers[event_type] = broker.publisher(
            subject_filter(event_type), schema=model, stream=stream_of(settings),
            title=f"{SERVICE}:{event_type}", description=(model.__doc__ or "").strip().splitlines()[0],
        )
    return publishers
