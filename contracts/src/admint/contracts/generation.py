"""Generation-level events: the request, progress, and the three terminal outcomes."""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import Aspect, FrameSize, Framework, TransitionKind
from admint.contracts.envelope import Event
from admint.contracts.stages import Stage


class Transition(BaseModel):
    """How beats join."""

    model_config = ConfigDict(frozen=True)

    kind: TransitionKind = Field(default="crossfade", description="crossfade or a hard cut.")
    duration_s: float = Field(default=0.5, description="Crossfade length in seconds (0 for cut).", ge=0, le=2)

    @property
    def overlap_s(self) -> float:
        """Seconds each non-final beat is rendered longer so the crossfade does not shorten the ad."""
        return self.duration_s if self.kind == "crossfade" else 0.0


class GenerationSpec(BaseModel):
    """What the client asked for, resolved to concrete numbers every stage can use."""

    model_config = ConfigDict(frozen=True)

    brief: str = Field(description="The client's brief, 1–5000 characters.", min_length=1, max_length=5000)
    duration_s: int = Field(
        default=30, description="Ad duration in seconds: 15–60, multiple of 5.", ge=15, le=60
    )
    aspect: Aspect = Field(default="9:16", description="Aspect of the master video.")
    renditions: list[Aspect] = Field(
        default_factory=list, description="Extra aspects to export beside the master."
    )
    framework: Framework | None = Field(
        default=None, description="Copy framework; None lets the planner choose."
    )
    creativity: float = Field(
        default=0.5, description="0 follows the archetype, 1 composes freely.", ge=0, le=1
    )
    seed: int = Field(default=0, description="Seed that makes offline providers deterministic.", ge=0)
    size: FrameSize = Field(description="Pixel size of the master (and of every frame and chunk).")
    fps: int = Field(default=30, description="Frames per second of every video.", ge=1, le=60)
    transition: Transition = Field(default_factory=Transition, description="How beats join.")
    product_asset_id: str | None = Field(default=None, description="Id of an uploaded product image, if any.")
    product_asset: ArtifactRef | None = Field(default=None, description="Where that product image is stored.")
    music: bool = Field(default=True, description="Whether to add a music bed.")
    max_cost_usd: float | None = Field(
        default=None, gt=0, description="Spend limit in US dollars: a stage stops the generation before a priced "
                                        "call that would cross it (None = no limit).",
    )
    quality_threshold: float | None = Field(
        default=None, description="Chunks scoring below this overall quality (0–100) are rendered again with a "
                                  "new seed (a few times at most; the best take is kept). None: no gate.",
        ge=0, le=100,
    )

    @field_validator("duration_s")
    @classmethod
    def _multiple_of_five(cls, value: int) -> int:
        if value % 5:
            raise ValueError("duration_s must be a multiple of 5")
        return value


class GenerationRequested(Event):
    """A client asked for an ad. Published by the gateway."""

    type: Literal["generation.requested.v1"] = Field(
        default="generation.requested.v1", description="Event type and version."
    )
    owner: str = Field(description="Owner of the generation (API key owner).")
    spec: GenerationSpec = Field(description="The resolved request.")


class StageProgress(Event):
    """Progress inside one stage (e.g. storyboard 3/6); informational, for the SSE feed."""

    type: Literal["stage.progress.v1"] = Field(
        default="stage.progress.v1", description="Event type and version."
    )
    stage: Stage = Field(description="Stage reporting progress.")
    done: int = Field(description="Items finished so far.", ge=0)
    total: int = Field(description="Items in the stage.", ge=0)
    message: str = Field(default="", description="Human-readable note.")
    item: str = Field(
        default="", description="Which item this report is about, e.g. 2-0 (part of the dedup id)."
    )

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.stage, self.item or self.done)


class RenditionSummary(BaseModel):
    """One finished file, as summarised in generation.completed."""

    model_config = ConfigDict(frozen=True)

    aspect: Aspect = Field(description="Aspect of this rendition.")
    video: ArtifactRef = Field(description="The stored MP4.")


class GenerationCompleted(Event):
    """The ad is finished and exported. Published by the exporter."""

    TERMINAL: ClassVar[bool] = True
    type: Literal["generation.completed.v1"] = Field(
        default="generation.completed.v1", description="Event type and version."
    )
    master: ArtifactRef = Field(description="The master MP4.")
    renditions: list[RenditionSummary] = Field(description="Exported renditions.")
    duration_s: float = Field(description="Duration of the master, seconds (ffprobe).", gt=0)
    total_cost_usd: float = Field(default=0.0, description="Sum of every recorded provider cost.", ge=0)


class GenerationFailed(Event):
    """A stage could not finish; the generation stops here."""

    TERMINAL: ClassVar[bool] = True
    type: Literal["generation.failed.v1"] = Field(
        default="generation.failed.v1", description="Event type and version."
    )
    stage: Stage = Field(description="Stage that failed.")
    reason: str = Field(description="Human-readable reason.", min_length=1)
    retryable: bool = Field(default=False, description="Whether retrying the stage could help.")
    detail: str | None = Field(
        default=None, description="Technical detail (exception text, provider answer)."
    )


class GenerationCancelled(Event):
    """The owner cancelled; workers stop starting new work for it."""

    TERMINAL: ClassVar[bool] = True
    type: Literal["generation.cancelled.v1"] = Field(
        default="generation.cancelled.v1", description="Event type and version."
    )
    reason: str = Field(default="cancelled by owner", description="Why it was cancelled.")
    requested_by: str = Field(default="", description="Who cancelled it.")


class GenerationDeleted(Event):
    """The owner deleted the generation: its media is gone and its events were purged (a privacy request)."""

    TERMINAL: ClassVar[bool] = True
    type: Literal["generation.deleted.v1"] = Field(
        default="generation.deleted.v1", description="Event type and version."
    )
    requested_by: str = Field(default="", description="Who deleted it.")
    objects_deleted: int = Field(default=0, description="Stored objects removed with it.", ge=0)


class MessageDeadLettered(Event):
    """A message exhausted its deliveries (poison) and was parked instead of blocking its consumer."""

    type: Literal["message.deadlettered.v1"] = Field(
        default="message.deadlettered.v1", description="Event type and version."
    )
    consumer: str = Field(description="Durable consumer that gave up on it.")
    original_subject: str = Field(description="Subject of the parked message.")
    stream_sequence: int = Field(description="Its sequence in the stream.", ge=0)
    deliveries: int = Field(description="How many times it was delivered.", ge=0)
    error: str = Field(description="The last error.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.consumer, self.stream_sequence)
