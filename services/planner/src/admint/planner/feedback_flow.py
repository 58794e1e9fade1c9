"""feedback.requested.v1 → what was understood, recorded and announced (feedback.interpreted.v1) before anything
changes.

Plain feedback (POST …/feedback) stops there: the owner reads the interpretation and applies it (POST
…/feedback/{id}/apply, done by the gateway with the same plan rules and core.steering). Feedback that came with a
regeneration (POST …/beats/{i}/regenerate with `feedback`) is applied here at once, to that beat only: its render
hints (prompt terms, colours, camera move, energy) shape the new take, and the interpretation is announced first,
so the owner still sees what was understood before the new frame arrives.

A redelivery re-announces the recorded interpretation (never interprets twice: a model would answer differently)
and, for an applied regeneration, re-publishes the work still in flight (same msg ids), so a crash between the
commit and the publish loses nothing.
"""

import logging

from admint.contracts.envelope import Event
from admint.contracts.feedback import BeatRegeneration, FeedbackIntent, PlanEditProblem, RenderHints
from admint.contracts.interactive import FeedbackInterpreted, FeedbackRequested, RegenerateAsk
from admint.core import steering
from admint.core.document import GenerationDoc
from admint.core.errors import PermanentError
from admint.core.events import follow
from admint.core.steering import BeatChange, SteeringConflict
from admint.core.stores import GenerationStore
from admint.planner.feedback import OfflineFeedbackInterpreter
from admint.planner.handlers import Ports
from admint.plans.plan_edits import PlanEditError
from admint.plans.steering import apply_intent, merge_hints

log = logging.getLogger(__name__)
PRODUCER = "planner"
WHAT_TO_REDO = {"frame": "frame", "both": "frame", "video": "video"}


async def handle_feedback_requested(event: FeedbackRequested, ports: Ports) -> list[Event]:
    gid, fid = event.generation_id, event.feedback_id
    doc = await ports.docs.get(gid)
    record = doc.feedback.get(fid) if doc is not None else None
    if doc is None or doc.plan is None or record is None:
        raise PermanentError("The feedback cannot be read: its generation, plan or entry is missing.",
                             detail=f"generation {gid}, feedback {fid}")
    if record.intent is not None:  # redelivery: announce what was recorded
        again: list[Event] = [_interpreted(event, record.intent, record.problems, applied=record.state == "applied")]
        if event.regenerate is not None and record.state == "applied":
            again += steering.resume(doc, PRODUCER)
        return again
    interpreter = ports.interpreter or OfflineFeedbackInterpreter()
    intent = await interpreter.interpret_feedback(doc.plan, event.message, event.beat, size=doc.spec.size)
    if event.regenerate is None:
        problems = _problems(doc, intent)
        await ports.docs.interpreted(gid, fid, intent, problems)
        return [_interpreted(event, intent, problems, applied=False)]
    return await _regenerate(event, event.regenerate, intent, doc, ports.docs)


async def _regenerate(event: FeedbackRequested, ask: RegenerateAsk, intent: FeedbackIntent, doc: GenerationDoc,
                      docs: GenerationStore) -> list[Event]:
    """Apply the feedback's render hints to the one beat being regenerated, as a new take."""
    assert doc.plan is not None
    own = next((r.hints for r in intent.regenerate if r.index == ask.beat), RenderHints())
    hints = merge_hints(intent.style, own).model_copy(update={"new_take": True})
    scoped = FeedbackIntent(kind="regenerate", regenerate=[BeatRegeneration(index=ask.beat, hints=hints)],
                            understood=intent.understood, interpreter=intent.interpreter,
                            confidence=intent.confidence, fallback_reason=intent.fallback_reason)
    try:
        steered = apply_intent(doc.plan, scoped, size=doc.spec.size)
        render = steered.renders[ask.beat]
        style = render.style if render.style != steered.plan.style else None
        change = BeatChange(ask.beat, WHAT_TO_REDO[ask.what], style=style, new_take=True,  # type: ignore[arg-type]
                            seed=ask.seed)
        work = await steering.steer(docs, doc, steered.plan, [change], source="regenerate",
                                    by=doc.feedback[event.feedback_id].by, producer=PRODUCER,
                                    reason=f"beat {ask.beat + 1}: {intent.understood}"[:500])
    except (SteeringConflict, PlanEditError) as exc:
        problems = exc.problems if isinstance(exc, PlanEditError) else [
            PlanEditProblem(pointer="", msg=exc.message, type=exc.kind)]
        await docs.interpreted(doc.id, event.feedback_id, intent, problems)
        await docs.feedback_applied(doc.id, event.feedback_id, failed=problems[0].msg)
        return [_interpreted(event, intent, problems, applied=False)]
    await docs.interpreted(doc.id, event.feedback_id, intent, [], applied=True)
    return [_interpreted(event, intent, [], applied=True), *work]


def _problems(doc: GenerationDoc, intent: FeedbackIntent) -> list[PlanEditProblem]:
    """Why the intent could not apply to the plan as it stands (empty when it can)."""
    if intent.kind in ("approve", "unclear") or doc.plan is None:
        return []
    try:
        apply_intent(doc.plan, intent, size=doc.spec.size)
    except PlanEditError as exc:
        return exc.problems
    return []


def _interpreted(event: FeedbackRequested, intent: FeedbackIntent, problems: list[PlanEditProblem], *,
                 applied: bool) -> FeedbackInterpreted:
    return follow(event, FeedbackInterpreted, PRODUCER, feedback_id=event.feedback_id, intent=intent,
                  applied=applied, problems=problems)
