"""Interactive steering: plan edits a user makes by hand, and what the planner understood from their feedback.

`PlanPatch` is the body of `PATCH /v1/generations/{id}/plan`. It is a list of per-beat edits, not a JSON Merge
Patch (RFC 7396), because the plan's substance is an array and merge patch replaces arrays whole:

- to change one caption a merge-patch client must send every beat back (start times, prompts, beat ids …),
  two people editing different beats overwrite each other, and the server cannot tell an edit from an echo;
- merge patch's `null` means "delete the member", which is meaningless for a beat's required fields;
- a per-beat edit names its beat by the plan's own `index` and carries only what changes, so it maps 1:1 onto
  the `BeatEdit` the feedback interpreter produces: hand edits and interpreted feedback share one validation
  path (`apply_plan_edits` in the planner);
- error pointers stay exact RFC 6901 pointers into the request body (`/beats/0/duration_s` is the first edit
  in the list, whichever beat it names) and the message names the beat.

Rules of the format: an omitted (or null) field is unchanged; an empty caption removes the caption; start times
are never sent (they follow from the durations); the beats must still add up to the plan's duration, so a
longer beat needs a shorter one in the same patch.

`FeedbackIntent` is what an interpreter (offline rules or a language model) understood from a message such as
"warmer colours and a shorter hook": plan edits, beats to render again with `RenderHints`, global style hints,
and one sentence saying what it understood, shown to the user before anything is rendered.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admint.contracts.common import BeatDuration, CameraMovement

FeedbackKind = Literal["approve", "edit", "regenerate", "unclear"]
PaletteShift = Literal["warmer", "cooler", "brighter", "darker", "more_saturated", "less_saturated"]
PromptTerm = Annotated[str, Field(min_length=1, max_length=80)]


class BeatEdit(BaseModel):
    """New values for some fields of one beat; the fields left out keep their value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(description="Index of the beat to change (0-based, as in Plan.beats).", ge=0)
    caption: str | None = Field(
        default=None, description="New on-screen caption; an empty string removes it.", max_length=120
    )
    duration_s: BeatDuration | None = Field(
        default=None, description="New length: 5, 10 or 15 seconds (the plan's total must not change)."
    )
    camera_movement: CameraMovement | None = Field(default=None, description="New camera move.")
    action: str | None = Field(
        default=None, description="New description of what happens on screen.", min_length=1, max_length=300
    )
    prompt: str | None = Field(
        default=None,
        description="New image/video prompt, replacing the old one.",
        min_length=1,
        max_length=1000,
    )
    energy: float | None = Field(default=None, description="New energy level 0–1.", ge=0, le=1)

    def changes(self) -> dict[str, object]:
        """The fields this edit sets (everything but the index), by name."""
        return {k: v for k, v in self.model_dump(exclude={"index"}).items() if v is not None}


class PlanPatch(BaseModel):
    """Body of PATCH /v1/generations/{id}/plan: per-beat edits plus the plan-level fields a user may change."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [
        {"beats": [{"index": 2, "caption": "Cold for 24 hours"}, {"index": 0, "duration_s": 10},
                   {"index": 1, "duration_s": 5}]}]})

    beats: list[BeatEdit] = Field(
        default_factory=list, description="Edits, one per beat at most, in any order.", max_length=12
    )
    call_to_action: str | None = Field(
        default=None, description="New closing call to action.", min_length=1, max_length=60
    )
    palette: list[str] | None = Field(
        default=None,
        description="New palette as #rrggbb, dominant first (2–6 colours).",
        min_length=2,
        max_length=6,
    )


class PlanEditProblem(BaseModel):
    """One reason a patch was refused, pointing into the patch body (for an RFC 9457 422 `errors` entry)."""

    model_config = ConfigDict(frozen=True)

    pointer: str = Field(description="RFC 6901 JSON pointer into the patch body, e.g. /beats/0/duration_s.")
    msg: str = Field(description="What is wrong, for humans; names the beat as the user sees it (Beat 1 …).")
    type: str = Field(description="Stable machine-readable kind, e.g. unknown_beat, duration_total.")


class RenderHints(BaseModel):
    """Relative changes to how a beat renders: they adjust the beat's prompt, energy, camera and colours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    palette: list[PaletteShift] = Field(
        default_factory=list,
        description="Colour shifts applied in order, e.g. warmer then darker.",
        max_length=6,
    )
    prompt_terms: list[PromptTerm] = Field(
        default_factory=list,
        description="Terms appended to the prompt, e.g. dramatic lighting.",
        max_length=8,
    )
    camera_movement: CameraMovement | None = Field(default=None, description="Camera move to use instead.")
    energy_delta: float = Field(
        default=0.0, description="Added to the beat's energy (the result stays within 0–1).", ge=-1, le=1
    )
    new_take: bool = Field(
        default=False, description="Render with a fresh seed (another take) even if nothing else changes."
    )

    def is_empty(self) -> bool:
        return self == RenderHints()


class BeatRegeneration(BaseModel):
    """One beat to render again, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(description="Index of the beat (0-based, as in Plan.beats).", ge=0)
    hints: RenderHints = Field(description="What to change in the new render.")


class FeedbackIntent(BaseModel):
    """What an interpreter understood from one feedback message, before anything is changed.

    kind: `approve` — go on, nothing changes; `edit` — plan edits only (captions, durations, call to action);
    `regenerate` — beats get new renders (per-beat or global hints), possibly together with edits;
    `unclear` — nothing actionable was understood and `understood` says why, with examples.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FeedbackKind = Field(
        description="approve, edit, regenerate or unclear (see the model's docstring)."
    )
    edits: list[BeatEdit] = Field(default_factory=list, description="Plan edits, one per beat at most.")
    call_to_action: str | None = Field(
        default=None,
        description="New closing call to action, if the feedback asks for one.",
        min_length=1,
        max_length=60,
    )
    regenerate: list[BeatRegeneration] = Field(
        default_factory=list, description="Beats to render again with per-beat hints, one entry per beat."
    )
    style: RenderHints = Field(
        default_factory=RenderHints, description="Hints for every beat (e.g. warmer colours overall)."
    )
    understood: str = Field(
        description="One or two sentences, shown to the user, of what was understood and will be done.",
        min_length=1,
        max_length=600,
    )
    interpreter: str = Field(description="What produced this: offline-rules or a model name.")
    confidence: float = Field(description="How sure the interpreter is, 0–1.", ge=0, le=1)
    fallback_reason: str | None = Field(
        default=None, description="Why the offline interpreter stood in for a model, if it did."
    )

    @model_validator(mode="after")
    def _kind_matches_content(self) -> "FeedbackIntent":
        for name, indices in (
            ("edits", [e.index for e in self.edits]),
            ("regenerate", [r.index for r in self.regenerate]),
        ):
            if len(indices) != len(set(indices)):
                raise ValueError(f"{name} names a beat more than once: {indices}")
        edits = bool(self.edits) or self.call_to_action is not None
        renders = bool(self.regenerate) or not self.style.is_empty()
        if self.kind in ("approve", "unclear") and (edits or renders):
            raise ValueError(f"an {self.kind} intent carries no changes")
        if self.kind == "edit" and (renders or not edits):
            raise ValueError("an edit intent carries plan edits and no renders")
        if self.kind == "regenerate" and not renders:
            raise ValueError("a regenerate intent names beats to render again or style hints")
        return self

    def patch(self) -> PlanPatch:
        """The plan edits of this intent in the PATCH body format, so both go through one validation."""
        return PlanPatch(beats=self.edits, call_to_action=self.call_to_action)
