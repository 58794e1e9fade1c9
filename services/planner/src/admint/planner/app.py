"""The planner, declared: settings, one route, and its ports (the planner model chosen from settings)."""

from admint.contracts.generation import GenerationRequested
from admint.contracts.interactive import (
    BeatUpdated,
    CheckpointReached,
    FeedbackInterpreted,
    FeedbackRequested,
    GenerationExpired,
    MoodsRequested,
    PlanChanged,
    VersionFailed,
    VersionRequested,
)
from admint.contracts.storyboard import FrameRequested, PlanCompleted
from admint.core.service import Infra, Route, ServiceSpec
from admint.planner.config import PlannerSettings
from admint.planner.fallback import FallbackFeedbackInterpreter, FallbackPlanner
from admint.planner.feedback import FeedbackInterpreter, OfflineFeedbackInterpreter
from admint.planner.feedback_flow import handle_feedback_requested
from admint.planner.handlers import Ports, handle_generation_requested
from admint.planner.offline import OfflinePlanner
from admint.planner.openai_planner import OpenAIPlanner
from admint.providers.factory import ProviderConfigError
from admint.providers.ports import PlannerModel


def build_planner(settings: PlannerSettings) -> PlannerModel:
    """Offline by default; OpenAI (with the offline planner standing in when it is unavailable) on request."""
    offline = OfflinePlanner()
    if settings.planner_provider == "offline":
        return offline
    key = settings.openai_api_key.get_secret_value().strip() if settings.openai_api_key else ""
    if not key:
        raise ProviderConfigError("ADMINT_PLANNER_PROVIDER=openai needs ADMINT_OPENAI_API_KEY")
    primary = OpenAIPlanner(
        api_key=key, model=settings.openai_model, base_url=settings.openai_base_url,
        timeout_s=settings.openai_timeout_s, max_retries=settings.openai_max_retries,
        backoff_s=settings.openai_backoff_s,
    )
    return FallbackPlanner(primary, offline)


def build_interpreter(settings: PlannerSettings) -> FeedbackInterpreter:
    """The offline rules by default; the OpenAI planner (the rules standing in when it is unavailable) on request."""
    planner = build_planner(settings)
    if isinstance(planner, FallbackPlanner) and isinstance(planner.primary, OpenAIPlanner):
        return FallbackFeedbackInterpreter(planner.primary, OfflineFeedbackInterpreter())
    return OfflineFeedbackInterpreter()


def build_ports(settings: PlannerSettings, infra: Infra) -> Ports:
    return Ports(docs=infra.docs, planner=build_planner(settings), interpreter=build_interpreter(settings),
                 deadline_s=settings.approval_deadline_s)


SERVICE = ServiceSpec(
    name="planner",
    settings=PlannerSettings,
    routes={
        GenerationRequested: handle_generation_requested,
        # feedback may come after completion (a new version): the handler checks where the generation is
        FeedbackRequested: Route(handle_feedback_requested, skip_terminal=False),
    },
    ports=build_ports,
    produces=(PlanCompleted, MoodsRequested, CheckpointReached, BeatUpdated, FeedbackInterpreted, PlanChanged,
              FrameRequested, VersionRequested, VersionFailed, GenerationExpired),
    sweeps_checkpoints=True,
)
