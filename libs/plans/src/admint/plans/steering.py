"""Apply a feedback intent: the changed plan, and for each changed beat what must be rendered again and how.

Plan edits go through `apply_plan_edits`, the one validation shared with hand edits. Render hints are then
written into the plan itself (prompt terms, energy, camera move, and a global palette shift into the Style),
because the plan is what every later stage and every later version follows: a hint that lived only in one
render request would be lost the next time that beat is rendered. A per-beat palette shift cannot live in the
plan-wide Style, so it travels in that beat's `BeatRender` (the generation document keeps it as the beat's own
look), and as words in its prompt (cloud image models read the prompt, not the palette).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from admint.contracts.common import FrameSize
from admint.contracts.feedback import FeedbackIntent, PaletteShift, PlanEditProblem, RenderHints
from admint.contracts.interactive import Redo
from admint.contracts.interactive import take_seed as take_seed  # re-exported: the seed of a beat's nth take
from admint.contracts.plan import Beat, Plan, Style
from admint.plans.palette import shift_palette
from admint.plans.plan_edits import PlanEditError, apply_plan_edits

FRAME_FIELDS = ("beat_id", "role", "shot_type", "action", "prompt", "energy")
"""Beat fields the storyboard frame depends on (the offline renderer reads energy and role too)."""
VIDEO_FIELDS = ("duration_s", "camera_movement")
PALETTE_WORDS: dict[PaletteShift, str] = {
    "warmer": "warm colour grade",
    "cooler": "cool colour grade",
    "brighter": "bright airy light",
    "darker": "low-key lighting",
    "more_saturated": "vivid saturated colours",
    "less_saturated": "muted colours",
}
OPPOSITE: dict[PaletteShift, PaletteShift] = {
    "warmer": "cooler",
    "cooler": "warmer",
    "brighter": "darker",
    "darker": "brighter",
    "more_saturated": "less_saturated",
    "less_saturated": "more_saturated",
}


@dataclass(frozen=True)
class BeatRender:
    """One beat to render again: the beat as the new plan has it, the style to render it with, how much to redo,
    and whether to use a fresh seed (`take_seed`)."""

    beat: Beat
    style: Style
    redo: Redo
    new_take: bool = False


@dataclass(frozen=True)
class Steered:
    """The outcome of an intent: the new plan, and the beats that need rendering again, by index."""

    plan: Plan
    renders: dict[int, BeatRender]


def apply_intent(plan: Plan, intent: FeedbackIntent, *, size: FrameSize) -> Steered:
    """The plan after the intent's edits and hints, and what each changed beat needs rendered again.

    Raises PlanEditError (pointers into the intent's patch, or /regenerate/<k>/index) if the intent cannot apply.
    """
    unknown = [
        PlanEditProblem(
            pointer=f"/regenerate/{k}/index", msg=f"There is no Beat {r.index + 1}.", type="unknown_beat"
        )
        for k, r in enumerate(intent.regenerate)
        if r.index >= len(plan.beats)
    ]
    if unknown:
        raise PlanEditError(unknown)
    edited = apply_plan_edits(plan, intent.patch(), size=size)
    hints = render_changes(edited, intent)
    beats = [apply_hints(b, hints[b.index]) if b.index in hints else b for b in edited.beats]
    steered = Plan.model_validate(
        {
            **edited.model_dump(),
            "beats": [b.model_dump() for b in beats],
            "style": restyle(edited.style, intent.style).model_dump(),
        }
    )
    own = {r.index: r.hints for r in intent.regenerate}
    renders: dict[int, BeatRender] = {}
    for old, new in zip(plan.beats, steered.beats, strict=True):
        beat_hints = hints.get(new.index, RenderHints())
        redo = "frame" if beat_hints.palette or beat_hints.new_take else redo_needed(old, new)
        if redo is not None:
            style = restyle(steered.style, own.get(new.index, RenderHints()))
            renders[new.index] = BeatRender(new, style, redo, beat_hints.new_take)
    return Steered(steered, renders)


def render_changes(plan: Plan, intent: FeedbackIntent) -> dict[int, RenderHints]:
    """Per beat, the intent's global style hints followed by that beat's own; beats without any are left out."""
    own = {r.index: r.hints for r in intent.regenerate}
    changes = {}
    for beat in plan.beats:
        hints = merge_hints(intent.style, own.get(beat.index, RenderHints()))
        if not hints.is_empty():
            changes[beat.index] = hints
    return changes


def merge_hints(first: RenderHints, then: RenderHints) -> RenderHints:
    """`first` then `then`: shifts and terms accumulate, the later camera move wins, energy deltas add up."""
    return RenderHints(
        palette=[*first.palette, *then.palette][:6],
        prompt_terms=list(dict.fromkeys([*first.prompt_terms, *then.prompt_terms]))[:8],
        camera_movement=then.camera_movement or first.camera_movement,
        energy_delta=max(-1.0, min(1.0, first.energy_delta + then.energy_delta)),
        new_take=first.new_take or then.new_take,
    )


def apply_hints(beat: Beat, hints: RenderHints) -> Beat:
    """The beat with the hints' prompt terms (and colour words), energy delta and camera move applied."""
    return Beat.model_validate(
        {
            **beat.model_dump(),
            "prompt": with_terms(beat.prompt, hints.prompt_terms, hints.palette),
            "energy": round(min(1.0, max(0.0, beat.energy + hints.energy_delta)), 2),
            "camera_movement": hints.camera_movement or beat.camera_movement,
        }
    )


def restyle(style: Style, hints: RenderHints) -> Style:
    """The style with the hints' palette shifts applied (unchanged without any)."""
    if not hints.palette:
        return style
    return Style.model_validate(
        {**style.model_dump(), "palette": shift_palette(style.palette, hints.palette)}
    )


def with_terms(prompt: str, terms: Sequence[str], shifts: Sequence[PaletteShift] = ()) -> str:
    """The prompt with new comma-separated terms appended once each; a colour word replaces its opposite
    ("warm colour grade" goes when "cool colour grade" comes) so prompts do not contradict themselves.
    The prompt's own text is kept as written."""
    text = prompt.strip().rstrip(",")
    for shift in shifts:
        opposite = re.escape(PALETTE_WORDS[OPPOSITE[shift]])
        text = re.sub(rf",\s*{opposite}\s*(?=,|$)", "", text, flags=re.IGNORECASE)
    for term in [*terms, *(PALETTE_WORDS[s] for s in shifts)]:
        if term.lower() not in {p.strip().lower() for p in text.split(",")}:
            text = f"{text}, {term}"
    return text


def redo_needed(old: Beat, new: Beat) -> Redo | None:
    """The least rendering that brings a beat from `old` to `new` (None if nothing it shows changed)."""
    if any(getattr(old, f) != getattr(new, f) for f in FRAME_FIELDS):
        return "frame"
    if any(getattr(old, f) != getattr(new, f) for f in VIDEO_FIELDS):
        return "video"
    return "caption" if old.caption != new.caption else None


REDO_ORDER: dict[Redo, int] = {"caption": 1, "video": 2, "frame": 3}


def redo_between(old: Plan, new: Plan) -> dict[int, Redo]:
    """What each beat needs rendered again to go from `old` to `new` (a hand edit): its own fields (`redo_needed`),
    a new call to action (burnt into the last beat's chunks) and a new palette (every frame). Beats that need
    nothing are left out."""
    out: dict[int, Redo] = {}

    def need(index: int, redo: Redo) -> None:
        if index not in out or REDO_ORDER[redo] > REDO_ORDER[out[index]]:
            out[index] = redo

    for before, after in zip(old.beats, new.beats, strict=True):
        redo = redo_needed(before, after)
        if redo is not None:
            need(after.index, redo)
    if old.style != new.style:
        for beat in new.beats:
            need(beat.index, "frame")
    if old.call_to_action != new.call_to_action and new.beats:
        need(new.beats[-1].index, "caption")
    return out
