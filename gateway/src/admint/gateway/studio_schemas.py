"""Request and response bodies of the interactive studio routes (routes/studio.py); OpenAPI is generated from them.

Responses are closed models like every other public body (`Public`: exactly the declared fields).
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from admint.contracts.feedback import FeedbackIntent, PlanEditProblem
from admint.contracts.interactive import BeatRedo, Redo, RegenerateWhat
from admint.contracts.plan import Plan
from admint.contracts.stages import Checkpoint, Stage, Status
from admint.gateway.schemas import MAX_SEED, TEXT_PATTERN, ArtifactView, Public, RenditionView, _clean_text


class ApproveRequest(BaseModel):
    """Approve the checkpoint the generation waits at."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"checkpoint": "moods", "mood": 2}]})

    checkpoint: Checkpoint = Field(description="The checkpoint you approve (409 when it does not wait there).")
    mood: int | None = Field(default=None, ge=1, le=3, description="The mood board you pick (moods checkpoint).")


class FeedbackCreate(BaseModel):
    """Feedback in your own words: it is interpreted first, shown to you, and applied when you say so."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"message": "make beat 1 warmer"}]})

    message: str = Field(min_length=1, max_length=2000, pattern=TEXT_PATTERN,
                         description="What you want changed (or 'looks good').")
    beat: int | None = Field(default=None, ge=0, description="Beat the message is about (0-based), if any.")

    @field_validator("message")
    @classmethod
    def _message_text(cls, value: str) -> str:
        return _clean_text(value)


class RegenerateRequest(BaseModel):
    """Render one beat again: a new take, shaped by feedback when given."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"what": "frame"}]})

    what: RegenerateWhat = Field(default="frame", description="frame, video (after completion) or both.")
    feedback: str | None = Field(default=None, min_length=1, max_length=2000, pattern=TEXT_PATTERN,
                                 description="How the new take should differ, e.g. 'more dramatic light'.")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="Seed of the new take (default: its own).")

    @field_validator("feedback")
    @classmethod
    def _feedback_text(cls, value: str | None) -> str | None:
        return _clean_text(value) if value is not None else None


class StudioLinks(Public):
    """Where to follow what a studio request started."""

    self: str = Field(description="The generation.")
    events: str = Field(description="Its SSE feed: the work this request started shows up there.")
    feedback: str | None = Field(default=None, description="The feedback entry this request made, if any.")


class StudioAccepted(Public):
    """The request was taken: the document changed, the work it needs is on its way."""

    id: str = Field(description="Generation id.")
    status: Status = Field(description="Status now.")
    checkpoint: Checkpoint | None = Field(default=None, description="Where it waits now, if it waits.")
    plan_rev: int = Field(description="Revision of the plan now.")
    version: int | None = Field(default=None, description="Version being rendered because of this request.")
    beats: list[int] = Field(default_factory=list, description="Beats rendered again because of this request.")
    feedback_id: str | None = Field(default=None, description="Feedback entry made by this request, if any.")
    links: StudioLinks = Field(description="Where to follow it.")


class PlanUpdated(Public):
    """The plan after your edits, and what will be rendered again because of them."""

    id: str = Field(description="Generation id.")
    status: Status = Field(description="Status now.")
    checkpoint: Checkpoint | None = Field(default=None, description="Where it waits now, if it waits.")
    plan: Plan = Field(description="The plan as it is now.")
    plan_rev: int = Field(description="Revision of the plan now.")
    redo: dict[str, Redo] = Field(default_factory=dict, description="Beat index → what it needs rendered again "
                                  "(at the storyboard: new frames now; after completion: in the new version).")
    version: int | None = Field(default=None, description="Version being rendered because of the edit.")


class FeedbackView(Public):
    """One feedback message, what was understood from it, and whether it was applied."""

    id: str = Field(description="Feedback id.")
    message: str = Field(description="What was written.")
    beat: int | None = Field(default=None, description="Beat it is about, when the owner said.")
    state: str = Field(description="interpreting, interpreted (waiting for apply), applied or failed.")
    understood: str | None = Field(default=None, description="What was understood, in words.")
    intent: FeedbackIntent | None = Field(default=None, description="The interpretation in full.")
    problems: list[PlanEditProblem] = Field(default_factory=list, description="Why it cannot apply, if it cannot.")
    regenerate: bool = Field(default=False, description="It came with a regeneration (applied at once).")
    created_at: datetime = Field(description="When it was written.")
    applied_at: datetime | None = Field(default=None, description="When it was applied (or failed).")
    error: str | None = Field(default=None, description="Why applying it failed, when it failed.")
    apply: str = Field(description="POST here to apply it.")


class FeedbackPage(Public):
    """Every feedback message of a generation, oldest first."""

    items: list[FeedbackView] = Field(description="The feedback entries.")


class VersionLinks(Public):
    """Links of one version."""

    video: str = Field(description="Download this version (redirect).")


class VersionView(Public):
    """One version of the ad: version 1 is the first render, each change after completion made the next."""

    number: int = Field(description="Version number (1 is the first render).")
    state: str = Field(description="rendering, completed or failed.")
    base: int | None = Field(default=None, description="Version it was made from (reusing all it could).")
    reason: str = Field(default="", description="What changed.")
    beats: list[BeatRedo] = Field(default_factory=list, description="Beats rendered again.")
    plan: Plan | None = Field(default=None, description="Its plan (version 1's is the generation's plan until "
                                                           "a later version changes it).")
    master: ArtifactView | None = Field(default=None, description="Its master MP4.")
    renditions: list[RenditionView] = Field(default_factory=list, description="Its exported renditions.")
    poster: ArtifactView | None = Field(default=None, description="Its poster JPEG.")
    cost_usd: float = Field(description="What this version cost.")
    requested_at: datetime | None = Field(default=None, description="When it was asked for.")
    completed_at: datetime | None = Field(default=None, description="When it was finished.")
    error_stage: Stage | None = Field(default=None, description="Stage that failed, when it failed.")
    error: str | None = Field(default=None, description="Why it failed, when it failed.")
    reused_windows: int | None = Field(default=None, description="Transition windows copied from the base version.")
    links: VersionLinks = Field(description="Its links.")


class VersionPage(Public):
    """Every version of the ad, oldest first."""

    latest: int = Field(description="Newest completed version (the default download).")
    rendering: int | None = Field(default=None, description="Version being rendered now, if any.")
    items: list[VersionView] = Field(description="The versions.")
