"""Keep planning when the cloud planner cannot: fall back to the offline planner and say why in the plan.
The same holds for interpreting feedback: the offline rules answer, and the intent says why."""

import logging

from admint.contracts.common import FrameSize
from admint.contracts.feedback import FeedbackIntent
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.core.errors import PermanentProviderError, TransientError
from admint.planner.errors import BriefRejected
from admint.planner.feedback import FeedbackInterpreter
from admint.providers.ports import PlannerModel

log = logging.getLogger(__name__)


class FallbackPlanner:
    """PlannerModel that tries `primary` and hands over to `fallback` when the primary is unavailable.

    A rejected brief (nothing to plan, or the model refused it) is not an outage: it propagates, so the
    generation fails with that reason instead of the offline planner quietly working around a refusal.
    """

    def __init__(self, primary: PlannerModel, fallback: PlannerModel) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    async def plan(self, spec: GenerationSpec) -> Plan:
        try:
            return await self.primary.plan(spec)
        except BriefRejected:
            raise
        except (TransientError, PermanentProviderError) as exc:
            reason = _reason(self.primary.name, exc)
            log.warning(
                "planner %s unavailable, falling back to %s: %s",
                self.primary.name,
                self.fallback.name,
                reason,
            )
        plan = await self.fallback.plan(spec)
        return plan.model_copy(update={"fallback_reason": reason})


class FallbackFeedbackInterpreter:
    """FeedbackInterpreter that tries `primary` (a model) and hands over to `fallback` (the offline rules) when
    it is unavailable or answers something unusable; the intent records why in `fallback_reason`."""

    def __init__(self, primary: FeedbackInterpreter, fallback: FeedbackInterpreter) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    async def interpret_feedback(
        self, plan: Plan, message: str, beat: int | None = None, *, size: FrameSize | None = None
    ) -> FeedbackIntent:
        try:
            return await self.primary.interpret_feedback(plan, message, beat, size=size)
        except (TransientError, PermanentProviderError) as exc:
            reason = _reason(self.primary.name, exc)
            log.warning("feedback interpreter %s unavailable, falling back to %s: %s", self.primary.name,
                        self.fallback.name, reason)
        intent = await self.fallback.interpret_feedback(plan, message, beat, size=size)
        return intent.model_copy(update={"fallback_reason": reason})


def _reason(name: str, exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    text = f"{name}: {exc}"
    return f"{text} ({detail})"[:500] if detail else text[:500]
