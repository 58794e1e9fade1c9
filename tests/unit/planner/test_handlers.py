"""The planner handler with fakes of the storage ports: status, stored plan, cost, idempotency, failures."""

import pytest
from pydantic import SecretStr

from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationRequested, GenerationSpec, StageProgress
from admint.contracts.plan import Plan
from admint.contracts.storyboard import PlanCompleted
from admint.core.errors import PermanentError, TransientProviderError
from admint.planner.app import build_planner
from admint.planner.config import PlannerSettings
from admint.planner.errors import BriefRejected
from admint.planner.fallback import FallbackPlanner
from admint.planner.handlers import Ports, handle_generation_requested
from admint.planner.offline import OfflinePlanner
from admint.providers.factory import ProviderConfigError
from tests.support import builders
from tests.support.fakes import FakeGenerationStore

pytestmark = pytest.mark.unit
GID = "GEN01PLANNER"


class CountingPlanner:
    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "counting")
        self.calls = 0

    async def plan(self, spec: GenerationSpec) -> Plan:
        self.calls += 1
        return await self.inner.plan(spec)  # type: ignore[attr-defined]


class DownPlanner:
    name = "gpt-4o-mini"

    async def plan(self, spec: GenerationSpec) -> Plan:
        raise TransientProviderError("OpenAI unavailable after 4 attempts: HTTP 503")


def requested(
    brief: str = "Launch of NOIR perfume, luxurious, for women who own the night. Shop now.",
    duration_s: int = 20,
) -> GenerationRequested:
    spec = GenerationSpec(brief=brief, duration_s=duration_s, size=FrameSize(width=180, height=320), seed=3)
    return GenerationRequested(generation_id=GID, producer="gateway", owner="acme", spec=spec)


async def setup(planner: object | None = None) -> tuple[FakeGenerationStore, Ports, CountingPlanner]:
    docs = FakeGenerationStore()
    await docs.create(builders.generation(GID))
    counting = CountingPlanner(planner or OfflinePlanner())
    return (
        docs,
        Ports(docs=docs, planner=counting, price=lambda model: 0.002 if model == "gpt-4o-mini" else 0.0),
        counting,
    )


async def test_a_request_is_planned_stored_and_announced() -> None:
    docs, ports, _ = await setup()
    event = requested()
    (out,) = await handle_generation_requested(event, ports)
    assert isinstance(out, PlanCompleted)
    assert out.causation_id == event.id and out.producer == "planner" and out.spec == event.spec
    assert out.msg_id == f"{GID}:plan.completed.v1"
    assert sum(b.duration_s for b in out.plan.beats) == 20
    doc = await docs.get(GID)
    assert doc is not None and doc.status == "planning"
    assert doc.plan == out.plan
    assert doc.costs["planner"].model == "offline-planner" and doc.costs["planner"].usd == 0.0


async def test_redelivery_republishes_the_stored_plan_without_planning_again() -> None:
    docs, ports, counting = await setup()
    event = requested()
    (first,) = await handle_generation_requested(event, ports)
    await docs.enter(GID, "storyboarding")  # the pipeline moved on
    (again,) = await handle_generation_requested(event, ports)
    assert counting.calls == 1
    assert again.plan == first.plan and again.msg_id == first.msg_id
    assert await docs.status(GID) == "storyboarding"


async def test_a_terminal_generation_is_not_planned() -> None:
    docs, ports, counting = await setup()
    await docs.fail(GID, "planning", "cancelled elsewhere")
    assert await handle_generation_requested(requested(), ports) == []
    doc = await docs.get(GID)
    assert counting.calls == 0 and doc is not None and doc.plan is None


async def test_an_unplannable_brief_fails_with_a_human_reason() -> None:
    _, ports, _ = await setup()
    with pytest.raises(BriefRejected) as info:
        await handle_generation_requested(requested(brief="!!! ???"), ports)
    assert isinstance(info.value, PermanentError)
    assert "brief" in info.value.reason.lower()


async def test_a_missing_generation_document_is_a_permanent_failure() -> None:
    docs = FakeGenerationStore()
    with pytest.raises(PermanentError, match="does not exist"):
        await handle_generation_requested(requested(), Ports(docs=docs, planner=OfflinePlanner()))


async def test_a_fallback_plan_is_recorded_and_reported_on_the_feed() -> None:
    docs, ports, _ = await setup(FallbackPlanner(DownPlanner(), OfflinePlanner()))
    progress, completed = await handle_generation_requested(requested(), ports)
    assert isinstance(progress, StageProgress) and progress.stage == "planning"
    assert "HTTP 503" in progress.message and "offline-planner" in progress.message
    assert isinstance(completed, PlanCompleted) and completed.plan.fallback_reason
    doc = await docs.get(GID)
    assert doc is not None and doc.plan is not None
    assert doc.plan.planner_model == "offline-planner" and "HTTP 503" in (doc.plan.fallback_reason or "")


def test_the_planner_model_is_chosen_by_settings() -> None:
    assert isinstance(build_planner(PlannerSettings(_env_file=None)), OfflinePlanner)
    chosen = build_planner(
        PlannerSettings(
            _env_file=None,
            planner_provider="openai",
            openai_api_key=SecretStr("sk-x"),
            openai_model="gpt-4o-mini",
        )
    )
    assert isinstance(chosen, FallbackPlanner) and chosen.name == "gpt-4o-mini"
    with pytest.raises(ProviderConfigError, match="ADMINT_OPENAI_API_KEY"):
        build_planner(PlannerSettings(_env_file=None, planner_provider="openai"))
