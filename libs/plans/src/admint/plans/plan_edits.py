"""Apply a PlanPatch (a user's hand edits, or the edits of interpreted feedback) under the planner's own rules.

An edited plan goes to the same storyboard and chunker as a planned one, so it must pass the same checks:
durations from the allowed set that still add up to the ad's length (start times are re-tiled here, never
sent), captions short enough to glance at and set inside the safe zone at the generation's frame size
(measured with the renderer's own layout), a call to action that fits its card. Every problem is collected
with a JSON pointer into the patch body, so the API can answer one 422 listing them all.

Depends only on contracts, the copy limits and the caption layout: the gateway runs it to answer a
`PATCH …/plan` synchronously, the planner to check what its feedback interpreters understood.
"""

from collections.abc import Callable
from typing import Any, get_args

from pydantic import ValidationError

from admint.contracts.common import BeatDuration, FrameSize
from admint.contracts.feedback import BeatEdit, PlanEditProblem, PlanPatch
from admint.contracts.plan import Plan
from admint.media.captions import TextLayout, caption_layout, cta_layout
from admint.plans.limits import CAPTION_MAX

ALLOWED_DURATIONS: tuple[int, ...] = get_args(BeatDuration)
Report = Callable[[str, str, str], None]
"""problem(pointer, msg, type)"""


class PlanEditError(ValueError):
    """The patch breaks the plan's rules; `problems` point into the patch body."""

    def __init__(self, problems: list[PlanEditProblem]) -> None:
        super().__init__("; ".join(p.msg for p in problems))
        self.problems = problems

    def errors(self) -> list[dict[str, Any]]:
        """Entries in the gateway's 422 `errors` shape ({loc, pointer, msg, type}, loc as FastAPI gives it)."""
        return [
            {
                "loc": ["body", *(_segment(s) for s in p.pointer.split("/")[1:])],
                "pointer": p.pointer,
                "msg": p.msg,
                "type": p.type,
            }
            for p in self.problems
        ]


def beat_label(index: int) -> str:
    """How people name a beat: from 1, as the studio shows it (the API's indices count from 0)."""
    return f"Beat {index + 1}"


def apply_plan_edits(plan: Plan, patch: PlanPatch, *, size: FrameSize) -> Plan:
    """The plan with the patch applied, or PlanEditError listing every problem."""
    problems: list[PlanEditProblem] = []

    def problem(pointer: str, msg: str, kind: str) -> None:
        problems.append(PlanEditProblem(pointer=pointer, msg=msg, type=kind))

    changes: dict[int, dict[str, Any]] = {}
    for position, edit in enumerate(patch.beats):
        at = f"/beats/{position}"
        if edit.index >= len(plan.beats):
            problem(
                f"{at}/index",
                f"There is no {beat_label(edit.index)}: the plan has {len(plan.beats)}.",
                "unknown_beat",
            )
        elif edit.index in changes:
            problem(
                f"{at}/index", f"{beat_label(edit.index)} is edited twice in this patch.", "duplicate_beat"
            )
        else:
            changes[edit.index] = _checked_changes(edit, at, size, problem)

    durations = [changes.get(b.index, {}).get("duration_s", b.duration_s) for b in plan.beats]
    if sum(durations) != plan.duration_s:
        gap = sum(durations) - plan.duration_s
        problem(
            "/beats",
            f"The beats would add up to {sum(durations)} s but the ad lasts {plan.duration_s} s: "
            f"{'shorten' if gap > 0 else 'lengthen'} another beat by {abs(gap)} s in the same patch.",
            "duration_total",
        )

    update: dict[str, Any] = {}
    if patch.call_to_action is not None:
        cta = " ".join(patch.call_to_action.split())
        if not cta:
            problem("/call_to_action", "The call to action cannot be empty.", "empty")
        elif (overflow := _overflow(cta_layout(cta, size.width, size.height), size)) is not None:
            problem("/call_to_action", f"The call to action {overflow}.", "call_to_action_overflow")
        update["call_to_action"] = cta
    if patch.palette is not None:
        for k, colour in enumerate(patch.palette):
            if not _is_hex(colour):
                problem(f"/palette/{k}", f"{colour!r} is not a #rrggbb colour.", "colour")
        update["style"] = {**plan.style.model_dump(), "palette": [c.lower() for c in patch.palette]}

    if problems:
        raise PlanEditError(problems)
    return _rebuilt(plan, changes, update)


def _checked_changes(edit: BeatEdit, at: str, size: FrameSize, problem: Report) -> dict[str, Any]:
    changes = edit.changes()
    if edit.duration_s is not None and edit.duration_s not in ALLOWED_DURATIONS:
        problem(f"{at}/duration_s", f"Beats last {allowed_durations()} seconds.", "duration")
    for name in ("action", "prompt"):
        if name in changes:
            changes[name] = " ".join(str(changes[name]).split())
            if not changes[name]:
                problem(f"{at}/{name}", f"{beat_label(edit.index)}'s {name} cannot be empty.", "empty")
    if edit.caption is not None:
        caption = changes["caption"] = " ".join(edit.caption.split())
        if len(caption) > CAPTION_MAX:
            problem(
                f"{at}/caption",
                f"{beat_label(edit.index)}'s caption has {len(caption)} characters; captions hold at most "
                f"{CAPTION_MAX} so they can be read at a glance.",
                "caption_too_long",
            )
        elif (overflow := _overflow(caption_layout(caption, size.width, size.height), size)) is not None:
            problem(f"{at}/caption", f"{beat_label(edit.index)}'s caption {overflow}.", "caption_overflow")
    return changes


def _overflow(layout: TextLayout, size: FrameSize) -> str | None:
    """Why a text does not fit its box, in words, or None when it fits."""
    if layout.fits:
        return None
    where = f"at {size.width}×{size.height}"
    if len(layout.lines) > layout.max_lines:
        return f"needs {len(layout.lines)} lines {where}; the safe zone holds {layout.max_lines}"
    return f"has a word too wide for the safe zone {where}"


def _rebuilt(plan: Plan, changes: dict[int, dict[str, Any]], update: dict[str, Any]) -> Plan:
    """The new plan with start times re-tiled, validated by the contract as a whole."""
    beats, start = [], 0
    for beat in plan.beats:
        fields = {**beat.model_dump(), **changes.get(beat.index, {}), "start_s": start}
        beats.append(fields)
        start += fields["duration_s"]
    try:
        return Plan.model_validate({**plan.model_dump(), **update, "beats": beats})
    except ValidationError as exc:  # every rule above should have caught it first; say so rather than 500
        problem = PlanEditProblem(
            pointer="", msg=f"The edited plan is invalid: {exc}"[:500], type="invalid_plan"
        )
        raise PlanEditError([problem]) from exc


def allowed_durations() -> str:
    """'5, 10 or 15', for messages."""
    *head, last = (str(d) for d in ALLOWED_DURATIONS)
    return f"{', '.join(head)} or {last}"


def _is_hex(colour: str) -> bool:
    return len(colour) == 7 and colour[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in colour[1:])


def _segment(part: str) -> str | int:
    part = part.replace("~1", "/").replace("~0", "~")
    return int(part) if part.isdigit() else part
