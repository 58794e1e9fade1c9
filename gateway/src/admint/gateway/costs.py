"""Costs as the gateway shows and enforces them: the estimate of a request (from the model registry and the
deployment's model choice), the projection once planned, and the recorded subtotals.

The one gateway module that reads the model registry (`admint.providers.pricing`: prices, no model code); the
layer rule in pyproject.toml allows exactly this import.
"""

from pathlib import Path

from pydantic import Field

from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.gateway.config import GatewaySettings
from admint.providers.pricing import Estimate, estimate, model_choice
from admint.providers.registry import REGISTRY_FILE, load_registry


class GenerationEstimate(Estimate):
    currency: str = Field(default="USD", description="Currency of every amount.")
    max_cost_usd: float | None = Field(default=None, description="The request's spend limit, if it set one.")
    within_max_cost: bool | None = Field(default=None,
                                         description="Whether the estimate fits the limit (a create would be "
                                                     "refused otherwise); null without a limit.")


def estimate_spec(spec: GenerationSpec, settings: GatewaySettings, plan: Plan | None = None) -> Estimate:
    """The cost of `spec` with the models this deployment runs; exact when `plan` is given."""
    # the gateway's own settings name the registry (load_registry(None) would read the environment again: a
    # settings object per call, most of a GET's CPU)
    registry = load_registry(Path(settings.model_registry) if settings.model_registry else REGISTRY_FILE)
    choice = model_choice(settings, registry, planner_provider=settings.planner_provider,
                          openai_model=settings.openai_model,
                          offline_chunk_duration_s=settings.offline_chunk_duration_s)
    return estimate(spec.duration_s, overlap_s=spec.transition.overlap_s, fps=spec.fps, music=spec.music,
                    product=spec.product_asset_id is not None, choice=choice, registry=registry,
                    beats=[float(b.duration_s) for b in plan.beats] if plan else None)
