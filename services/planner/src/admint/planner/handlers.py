"""Planner handler: generation.requested.v1 → plan stored on the generation → plan.completed.v1 (or, for an
interactive generation, its first checkpoint: after_plan.py)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationRequested, StageProgress
from admint.core.errors import PermanentError
from admint.core.events import follow
from admint.core.stores import GenerationStore
from admint.planner.after_plan import after_planning
from admint.planner.interpreter import FeedbackInterpreter
from admint.providers.ports import PlannerModel
from admint.providers.registry import load_registry

log = logging.getLogger(__name__)
PRODUCER = "planner"


def registry_price(model: str) -> float:
    """Price of one planning call from the model registry (0 for a model the registry does not list)."""
    registry = load_registry()
    return registry.get(model).price() if model in registry.models else 0.0


@dataclass
class Ports:
    docs: GenerationStore
    planner: PlannerModel
    price: Callable[[str], float] = field(default=registry_price)
    interpreter: FeedbackInterpreter | None = None
    """Reads the owner's feedback (feedback_flow.py; None: the offline rules)."""
    deadline_s: float = 7 * 24 * 3600
    """Approval deadline announced with a checkpoint (ADMINT_APPROVAL_DEADLINE_S)."""


async def handle_generation_requested(event: GenerationRequested, ports: Ports) -> list[Event]:
    gid = event.generation_id
    doc = await ports.docs.get(gid)
    if doc is None:
        raise PermanentError("The generation record does not exist, so it cannot be planned.",
                             detail=f"no document for generation {gid}")
    if doc.plan is not None:
        # redelivery after the plan was stored: republish what followed it (same msg ids), never re-plan — a
        # cloud planner would answer differently and the two plans would race through the pipeline
        return await after_planning(event, doc.plan, ports.docs, ports.deadline_s)
    if not await ports.docs.enter(gid, "planning"):
        log.info("generation %s is past planning (status %s); nothing to do", gid, doc.status)
        return []

    plan = await ports.planner.plan(event.spec)

    await ports.docs.record_cost(gid, CostEntry(key="planner", stage="planning", model=plan.planner_model,
                                                usd=ports.price(plan.planner_model)))
    if not await ports.docs.store_plan(gid, plan):
        return []  # cancelled while we were planning
    out: list[Event] = []
    if plan.fallback_reason:
        out.append(follow(event, StageProgress, PRODUCER, stage="planning", done=1, total=1, item="fallback",
                          message=f"Planned with {plan.planner_model}: {plan.fallback_reason}"[:500]))
    out += await after_planning(event, plan, ports.docs, ports.deadline_s)
    return out
