"""Storyboard events: one frame per beat, fanned out and gathered back."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Beat, Plan, Style


class PlanCompleted(Event):
    """The planner produced a beat plan."""

    type: Literal["plan.completed.v1"] = Field(
        default="plan.completed.v1", description="Event type and version."
    )
    spec: GenerationSpec = Field(description="The request the plan answers.")
    plan: Plan = Field(description="The beat plan.")


class FrameRequested(Event):
    """Work item: render the storyboard frame of one beat."""

    type: Literal["frame.requested.v1"] = Field(
        default="frame.requested.v1", description="Event type and version."
    )
    beat: Beat = Field(description="The beat to render.")
    beat_count: int = Field(description="Beats in the plan (to know when the set is complete).", ge=1)
    style: Style = Field(description="Palette and style.")
    spec: GenerationSpec = Field(description="Size, seed and product asset.")
    product: str = Field(default="", description="Product noun phrase for the prompt.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.beat.index,)


class FrameCompleted(Event):
    """One storyboard frame is stored."""

    type: Literal["frame.completed.v1"] = Field(
        default="frame.completed.v1", description="Event type and version."
    )
    beat_index: int = Field(description="Beat the frame belongs to.", ge=0)
    beat_count: int = Field(description="Beats in the plan.", ge=1)
    image: ArtifactRef = Field(description="The stored PNG.")
    model: str = Field(description="Image model that rendered it.")
    cost_usd: float = Field(default=0.0, description="Price of this frame.", ge=0)
    reused_from: str | None = Field(
        default=None, description="Member of the same generation group whose identical frame was copied.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.beat_index,)


class FrameRef(BaseModel):
    """A beat's storyboard frame."""

    model_config = ConfigDict(frozen=True)

    beat_index: int = Field(description="Beat index.", ge=0)
    image: ArtifactRef = Field(description="The stored PNG.")


class StoryboardCompleted(Event):
    """Every beat has its frame."""

    type: Literal["storyboard.completed.v1"] = Field(
        default="storyboard.completed.v1", description="Event type and version."
    )
    spec: GenerationSpec = Field(description="The request.")
    plan: Plan = Field(description="The plan.")
    frames: list[FrameRef] = Field(description="One frame per beat, in beat order.", min_length=1)
