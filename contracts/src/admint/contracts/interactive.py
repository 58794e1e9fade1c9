"""Interactive events: checkpoints, mood boards, beat cards, feedback and its interpretation, versions of the ad.

An interactive generation stops at checkpoints (`checkpoint.reached.v1`) until its owner approves
(`checkpoint.approved.v1`); edits and interpreted feedback change the plan (`plan.changed.v1`); every beat's card
follows the beat state machine (`beat.updated.v1`, beats.py). After completion a change makes a new version of
the ad (`version.requested.v1` … `version.completed.v1`): the pipeline's own events carry `ad_version` meanwhile.
"""

import hashlib
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.beats import BeatState
from admint.contracts.envelope import Event
from admint.contracts.feedback import FeedbackIntent, PlanEditProblem
from admint.contracts.generation import GenerationSpec, RenditionSummary
from admint.contracts.plan import MusicSpec, Plan, Style
from admint.contracts.stages import Checkpoint, Stage

Redo = Literal["frame", "video", "caption"]
"""What a changed beat needs rendered again, most to least: a new frame (and so new video), new video from the
kept frame, or only the chunk encode that burns in its caption."""
RegenerateWhat = Literal["frame", "video", "both"]
PlanChangeSource = Literal["edit", "feedback", "mood", "regenerate"]


class ImageLink(BaseModel):
    """A stored image and a presigned link to it (the link expires; GET the generation for a fresh one)."""

    model_config = ConfigDict(frozen=True)

    image: ArtifactRef = Field(description="The stored image.")
    url: str = Field(description="Presigned GET link (needs no API key; expires).")


class MoodBoard(BaseModel):
    """One look the ad could take: a style and a music mood, shown as four images of the product's world."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="Board number as the owner picks it (1–3).", ge=1, le=3)
    name: str = Field(description="Short name of the look, e.g. golden hour.", min_length=1, max_length=60)
    style: Style = Field(description="Palette, keywords and mood every frame will follow when it is chosen.")
    music: MusicSpec = Field(description="Music bed mood and tempo that go with it.")
    images: list[ImageLink] = Field(description="Four images: palette/light, styling, composition variants.")


class BeatFrame(BaseModel):
    """The current frame of one beat."""

    model_config = ConfigDict(frozen=True)

    beat_index: int = Field(description="Beat index (0-based).", ge=0)
    take: int = Field(default=0, description="Take of the frame (0: first render).", ge=0)
    image: ArtifactRef = Field(description="The stored PNG.")
    url: str = Field(description="Presigned GET link to it (expires).")


class MoodsRequested(Event):
    """Work item for the storyboard: render the mood boards of a planned interactive generation."""

    type: Literal["moods.requested.v1"] = Field(default="moods.requested.v1", description="Event type and version.")
    spec: GenerationSpec = Field(description="The request (size, seed, product image).")
    plan: Plan = Field(description="The plan whose style the boards vary.")


class CheckpointReached(Event):
    """The generation waits for its owner at a checkpoint (status awaiting_approval)."""

    type: Literal["checkpoint.reached.v1"] = Field(
        default="checkpoint.reached.v1", description="Event type and version."
    )
    checkpoint: Checkpoint = Field(description="Where it waits: moods, plan or storyboard.")
    plan: Plan = Field(description="The plan as it stands.")
    frames: list[BeatFrame] = Field(default_factory=list, description="Storyboard frames (storyboard checkpoint).")
    moods: list[MoodBoard] = Field(default_factory=list, description="The mood boards to pick from (moods).")
    deadline: datetime = Field(description="When the generation expires if nobody acts.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.checkpoint,)


class CheckpointApproved(Event):
    """The owner approved a checkpoint; the work goes on. Published by the gateway."""

    type: Literal["checkpoint.approved.v1"] = Field(
        default="checkpoint.approved.v1", description="Event type and version."
    )
    checkpoint: Checkpoint = Field(description="The checkpoint approved.")
    mood: int | None = Field(default=None, description="Mood board chosen (moods checkpoint).", ge=1, le=3)
    next_checkpoint: Checkpoint | None = Field(default=None, description="Where it waits next, if at once.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.checkpoint,)


class PlanChanged(Event):
    """The plan was changed by hand, by interpreted feedback, by a chosen mood or for a regeneration."""

    type: Literal["plan.changed.v1"] = Field(default="plan.changed.v1", description="Event type and version.")
    plan: Plan = Field(description="The plan as it is now.")
    plan_rev: int = Field(description="Revision of the plan (+1 per change).", ge=1)
    source: PlanChangeSource = Field(description="What changed it: edit, feedback, mood or regenerate.")
    beats: list[int] = Field(default_factory=list, description="Beats whose fields changed.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.plan_rev,)


class BeatUpdated(Event):
    """A beat's card moved in the beat state machine (beats.py)."""

    type: Literal["beat.updated.v1"] = Field(default="beat.updated.v1", description="Event type and version.")
    beat_index: int = Field(description="Beat index (0-based).", ge=0)
    state: BeatState = Field(description="The beat's state now.")
    take: int = Field(default=0, description="Take of the beat's frame this state is about.", ge=0)
    frame: BeatFrame | None = Field(default=None, description="The frame, when one is ready.")
    reason: str | None = Field(default=None, description="Why it failed, when it failed.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.beat_index, self.state, f"t{self.take}")


class RegenerateAsk(BaseModel):
    """A regeneration asked together with feedback text (POST …/beats/{i}/regenerate with `feedback`)."""

    model_config = ConfigDict(frozen=True)

    beat: int = Field(description="Beat to render again (0-based).", ge=0)
    what: RegenerateWhat = Field(description="frame, video or both.")
    seed: int | None = Field(default=None, description="Seed of the new take (None: the next take's own).", ge=0)


class FeedbackRequested(Event):
    """Work item for the planner: interpret one feedback message against the plan. Published by the gateway."""

    type: Literal["feedback.requested.v1"] = Field(
        default="feedback.requested.v1", description="Event type and version."
    )
    feedback_id: str = Field(description="Id of the feedback entry.", min_length=1)
    message: str = Field(description="What the owner wrote.", min_length=1, max_length=2000)
    beat: int | None = Field(default=None, description="Beat the message is about, when the owner said.", ge=0)
    regenerate: RegenerateAsk | None = Field(
        default=None, description="Set when the feedback came with a regeneration: applied at once, no confirm."
    )

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.feedback_id,)


class FeedbackInterpreted(Event):
    """What the planner understood from a feedback message, recorded before anything changes."""

    type: Literal["feedback.interpreted.v1"] = Field(
        default="feedback.interpreted.v1", description="Event type and version."
    )
    feedback_id: str = Field(description="Id of the feedback entry.", min_length=1)
    intent: FeedbackIntent = Field(description="The interpretation (kind, edits, renders, `understood`).")
    applied: bool = Field(default=False, description="Already applied (a regeneration's feedback); else it waits "
                                                     "for POST …/feedback/{id}/apply.")
    problems: list[PlanEditProblem] = Field(
        default_factory=list, description="Why it cannot apply to the plan as it is, if it cannot."
    )

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.feedback_id,)


class BeatRedo(BaseModel):
    """One beat a new version renders again, and how."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="Beat index (0-based).", ge=0)
    redo: Redo = Field(description="frame, video or caption.")
    take: int = Field(default=0, description="Take of the beat's frame the new render uses or makes.", ge=0)
    seed: int | None = Field(default=None, description="Seed of the new take (None: the generation's).", ge=0)
    style: Style | None = Field(default=None, description="Style of a new frame, when it differs from the plan's.")


class VersionRequested(Event):
    """A change after completion: render version `ad_version` from `base_version`, only the beats listed."""

    type: Literal["version.requested.v1"] = Field(
        default="version.requested.v1", description="Event type and version."
    )
    base_version: int = Field(description="The version whose other beats, windows and music are reused.", ge=1)
    spec: GenerationSpec = Field(description="The request.")
    plan: Plan = Field(description="The plan of the new version.")
    beats: list[BeatRedo] = Field(description="Beats rendered again.", min_length=1)
    reason: str = Field(default="", description="What changed, for humans.", max_length=500)


class VersionCompleted(Event):
    """A new version of the ad is stitched and exported; it is the default download now."""

    type: Literal["version.completed.v1"] = Field(
        default="version.completed.v1", description="Event type and version."
    )
    master: ArtifactRef = Field(description="The version's master MP4.")
    renditions: list[RenditionSummary] = Field(description="Its exported renditions.")
    duration_s: float = Field(description="Duration of the master, seconds.", gt=0)
    cost_usd: float = Field(default=0.0, description="What this version cost.", ge=0)


class VersionFailed(Event):
    """A version could not be made; the previous version stays the default."""

    type: Literal["version.failed.v1"] = Field(default="version.failed.v1", description="Event type and version.")
    stage: Stage = Field(description="Stage that failed.")
    reason: str = Field(description="Human-readable reason.", min_length=1)
    retryable: bool = Field(default=False, description="Whether POST …/retry could help.")
    detail: str | None = Field(default=None, description="Technical detail.")


class GenerationExpired(Event):
    """Nobody acted at a checkpoint within the approval deadline; the generation ends."""

    TERMINAL: ClassVar[bool] = True
    type: Literal["generation.expired.v1"] = Field(
        default="generation.expired.v1", description="Event type and version."
    )
    checkpoint: Checkpoint = Field(description="The checkpoint it waited at.")
    reason: str = Field(description="Why it ended.", min_length=1)


def take_seed(seed: int, beat_index: int, take: int) -> int:
    """The seed of a beat's nth take: take 0 is the original render's seed, every later take a different,
    reproducible one (so 'another take' is repeatable in tests and replays)."""
    if take == 0:
        return seed
    digest = hashlib.sha256(f"take:{seed}:{beat_index}:{take}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
