"""Planner handler: generation.requested.v1 → plan stored on the generation → plan.completed.v1."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationRequested, StageProgress
from admint.contracts.plan import Plan
from admint.contracts.storyboard import PlanCompleted
from admint.core.errors import PermanentError
from admint.core.events import follow
from admint.core.stores import GenerationStore
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


async def handle_generation_requested(event: GenerationRequested, ports: Ports) -> list[Event]:
    gid = event.generation_id
    doc = await ports.docs.get(gid)
    if doc is None:
        raise PermanentError("The generation record does not exist, so it cannot be planned.",
                             detail=f"no document for generation {gid}")
    if doc.plan is not None:
        # redelivery after the plan was stored: republish that plan (same msg id), never re-plan — a cloud
        # planner would answer differently and the two plans would race through the pipeline
        return [_completed(event, doc.plan)]
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
    out.append(_completed(event, plan))
    return out


def _completed(event: GenerationRequested, plan: Plan) -> PlanCompleted:
    return follow(event, PlanCompleted, PRODUCER, spec=event.spec, plan=plan)
