"""What a language model is asked when it interprets feedback, its strict JSON schema, and the checks on its answer.

The model answers a FeedbackIntent minus the bookkeeping (`interpreter`, `fallback_reason`), which is ours. Its
answer is validated by the contract itself (kind matches content, one entry per beat) and then against the plan
(beats that exist, durations that still add up; with the frame size, the full plan-edit rules), so a model answer
and an offline one are held to the same standard before a user ever sees them.
"""

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from admint.contracts.common import FrameSize
from admint.contracts.feedback import FeedbackIntent
from admint.contracts.plan import Plan
from admint.planner.llm_plan import strip_unsupported
from admint.plans.limits import CAPTION_MAX
from admint.plans.plan_edits import PlanEditError, beat_label
from admint.plans.steering import apply_intent

PROMPTS_FILE = Path(__file__).with_name("data") / "feedback_prompts.yaml"
OURS = ("interpreter", "fallback_reason")


class InvalidFeedbackOutput(ValueError):
    """The model's answer is not a usable intent for this plan; the message is fed back to it once."""


@cache
def load_feedback_prompts() -> dict[str, str]:
    raw = yaml.safe_load(PROMPTS_FILE.read_text(encoding="utf-8"))
    if raw.get("version") != 1:
        raise ValueError(f"{PROMPTS_FILE.name}: unsupported version {raw.get('version')!r}")
    return {key: raw[key] for key in ("system", "user", "repair")}


@cache
def _schema() -> str:
    schema = FeedbackIntent.model_json_schema()
    for name in OURS:
        del schema["properties"][name]
    _inline_refs_with_siblings(schema, schema["$defs"])
    strip_unsupported(schema)
    return json.dumps(schema)


def feedback_schema() -> dict[str, Any]:
    """FeedbackIntent's JSON schema in the subset strict structured outputs accept, without our bookkeeping."""
    return json.loads(_schema())


def _inline_refs_with_siblings(node: Any, defs: dict[str, Any]) -> None:
    """Strict mode refuses keywords beside a $ref ({"$ref": …, "description": …}): inline the definition."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref and len(node) > 1:
            del node["$ref"]
            node.update(
                {k: v for k, v in copy.deepcopy(defs[ref.rsplit("/", 1)[-1]]).items() if k not in node}
            )
        for value in node.values():
            _inline_refs_with_siblings(value, defs)
    elif isinstance(node, list):
        for item in node:
            _inline_refs_with_siblings(item, defs)


def feedback_messages(plan: Plan, message: str, beat: int | None) -> list[dict[str, str]]:
    prompts = load_feedback_prompts()
    scope = (
        f"{beat_label(beat)} (index {beat})" if beat is not None else "none (the feedback names its beats)"
    )
    user = prompts["user"].format(
        plan=describe_plan(plan), duration_s=plan.duration_s, scope=scope, message=message.strip()
    )
    return [
        {"role": "system", "content": prompts["system"].format(max_caption=CAPTION_MAX)},
        {"role": "user", "content": user},
    ]


def describe_plan(plan: Plan) -> str:
    """The plan as the model needs it: each beat's number, index, length, look and words."""
    lines = []
    for b in plan.beats:
        lines.append(
            f"- {beat_label(b.index)} (index {b.index}): {b.duration_s} s, {b.role}, {b.shot_type} shot, "
            f"camera {b.camera_movement}, energy {b.energy:.2f}; caption {json.dumps(b.caption)}; "
            f"prompt: {b.prompt}"
        )
    lines.append(f"Palette: {', '.join(plan.style.palette)}; mood: {plan.style.mood}.")
    lines.append(f"Call to action (on the last beat): {json.dumps(plan.call_to_action)}")
    return "\n".join(lines)


def to_intent(content: str, plan: Plan, model: str, size: FrameSize | None) -> FeedbackIntent:
    """The model's JSON as a checked FeedbackIntent, or InvalidFeedbackOutput saying what to fix."""
    try:
        raw = json.loads(content)
        intent = FeedbackIntent.model_validate({**raw, "interpreter": model, "fallback_reason": None})
    except (ValueError, TypeError, ValidationError) as exc:
        raise InvalidFeedbackOutput(_short(exc)) from exc
    count = len(plan.beats)
    unknown = sorted(
        {i for i in [*(e.index for e in intent.edits), *(r.index for r in intent.regenerate)] if i >= count}
    )
    if unknown:
        raise InvalidFeedbackOutput(
            f"the plan has beats with index 0 to {count - 1}; there is no index {unknown}"
        )
    lengths = {b.index: b.duration_s for b in plan.beats} | {
        e.index: e.duration_s for e in intent.edits if e.duration_s
    }
    if sum(lengths.values()) != plan.duration_s:
        raise InvalidFeedbackOutput(
            f"the beat durations would add up to {sum(lengths.values())} seconds, not {plan.duration_s}"
        )
    if size is not None:
        try:
            apply_intent(plan, intent, size=size)
        except PlanEditError as exc:
            raise InvalidFeedbackOutput(str(exc)) from exc
    return intent


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
    return f"not valid JSON ({exc})"
