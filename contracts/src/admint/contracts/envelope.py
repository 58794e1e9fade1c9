"""The envelope every event shares, and the deterministic de-duplication id."""

from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.ids import ID_PATTERN, new_id
from admint.contracts.subjects import subject_for


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Common envelope. Subclasses add `type: Literal["<noun>.<verb>.v<N>"]` and their payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    TERMINAL: ClassVar[bool] = False
    """True for events that end a generation (completed, failed, cancelled)."""

    type: str = Field(description="Event type and version, e.g. plan.completed.v1.")
    id: str = Field(default_factory=new_id, description="Unique id of this event (ULID).")
    generation_id: str = Field(description="The generation this event belongs to.", pattern=ID_PATTERN)
    occurred_at: datetime = Field(
        default_factory=utcnow, description="When the producer created the event (UTC)."
    )
    producer: str = Field(description="Service that produced the event, e.g. planner.", min_length=1)
    causation_id: str | None = Field(default=None, description="Id of the event that caused this one.")
    attempt: int = Field(
        default=0,
        ge=0,
        description="Retry round of the generation (POST …/retry); part of the dedup id when > 0.",
    )
    ad_version: int = Field(
        default=1,
        ge=1,
        description="Version of the ad this event works on: 1 is the first render, each change after completion "
        "makes the next (part of the dedup id when > 1).",
    )

    @property
    def subject(self) -> str:
        """The NATS subject this event is published on."""
        return subject_for(self.generation_id, self.type)

    def dedup_parts(self) -> tuple[object, ...]:
        """Extra parts of the de-duplication id; events emitted per beat/chunk override this."""
        return ()

    @property
    def msg_id(self) -> str:
        """Deterministic `Nats-Msg-Id`: a redelivered input re-publishing its output is dropped by the stream."""
        parts = [self.generation_id, self.type, *(str(p) for p in self.dedup_parts())]
        if self.attempt:
            parts.append(f"r{self.attempt}")
        if self.ad_version > 1:
            parts.append(f"v{self.ad_version}")
        return ":".join(parts)
