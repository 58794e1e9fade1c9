"""Response bodies of generation groups (A/B variants)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.common import Framework
from admint.contracts.ids import ID_PATTERN
from admint.contracts.stages import Status
from admint.gateway.quality_schemas import DimensionScores
from admint.gateway.schemas import GenerationAccepted, GenerationLinks


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupLinks(_Public):
    self: str = Field(description="This group, its members ranked.")
    events: str = Field(description="One SSE feed with every member's events.")
    winner: str = Field(description="POST {generation_id} here to record the pick.")


class GroupAccepted(_Public):
    id: str = Field(description="Group id.")
    created_at: datetime = Field(description="When it was accepted.")
    members: list[GenerationAccepted] = Field(description="Its generations, each followed like any other.")
    links: GroupLinks = Field(description="Where to follow it.")


class MemberDifferences(_Public):
    """What a member was made with, in the terms members are compared by."""

    framework: Framework | None = Field(default=None, description="Copy framework (as planned).")
    archetype: str | None = Field(default=None, description="Ad archetype the planner chose.")
    creativity: float = Field(description="Creativity asked for.")
    seed: int = Field(description="Seed.")
    transition: str = Field(description="How beats join, e.g. crossfade 0.5 s or cut.")


class GroupMemberView(_Public):
    generation_id: str = Field(description="The member generation.")
    status: Status = Field(description="Where it is.")
    rank: int | None = Field(default=None, description="1 = highest overall score; null until it is scored.")
    overall: float | None = Field(default=None, description="Its master's overall quality score, 0–100.")
    behind_best: float | None = Field(default=None, description="Points below the best member's overall score.")
    dimensions: DimensionScores = Field(description="Its master's score per dimension, side by side with the "
                                                    "others'.")
    chunks_below_threshold: int = Field(default=0, description="Chunk takes the quality gate re-rendered.", ge=0)
    differences: MemberDifferences = Field(description="What it was made with.")
    scores_pending: bool = Field(description="Whether some of its videos are still to be scored.")
    links: GenerationLinks = Field(description="The member's own resources.")


class WinnerView(_Public):
    generation_id: str = Field(description="The member picked.")
    chosen_at: datetime = Field(description="When it was picked.")


class SharedWork(_Public):
    """What members did not do twice."""

    frames_reused: int = Field(description="Storyboard frames copied from another member instead of rendered.",
                               ge=0)
    frames_rendered: int = Field(description="Storyboard frames the members rendered themselves.", ge=0)
    notes: list[str] = Field(default_factory=list, description="What else is shared, in words.")


GroupStatus = Literal["running", "completed", "partial", "failed"]


class GroupView(_Public):
    id: str = Field(description="Group id.")
    status: GroupStatus = Field(
        description="running until every member ended; then completed (all completed), partial or failed (none "
                    "completed).")
    created_at: datetime = Field(description="When it was accepted.")
    brief: str = Field(description="The brief every member works from.")
    members: list[GroupMemberView] = Field(description="Ranked by overall score (unscored members last, in "
                                                       "creation order).")
    varying: list[str] = Field(description="The differences that are not the same for every member.")
    winner: WinnerView | None = Field(default=None, description="The recorded pick.")
    shared: SharedWork = Field(description="What members shared.")
    links: GroupLinks = Field(description="Related resources.")


class WinnerChoice(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"generation_id": "01JD3Z8K7Q2W4E6R8T0Y2U4I6O"}]})

    generation_id: str = Field(description="The member to record as the winner.", pattern=ID_PATTERN)
