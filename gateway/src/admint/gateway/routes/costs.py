"""Costs before and after: POST /v1/generations/estimate, GET /v1/usage, GET /v1/admin/usage."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from admint.gateway.costs import GenerationEstimate, estimate_spec
from admint.gateway.deps import AdminDep, GatewayDep, PrincipalDep
from admint.gateway.problems import ProblemError, problems
from admint.gateway.schemas import GenerationCreate
from admint.gateway.specs import build_spec
from admint.gateway.usage import UsageReport

estimates = APIRouter(prefix="/v1/generations", tags=["generations"])
usage = APIRouter(prefix="/v1/usage", tags=["usage"])
admin_usage = APIRouter(prefix="/v1/admin/usage", tags=["admin"], dependencies=[AdminDep])
MAX_RANGE_DAYS = 366
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    """Only what the schema says (`format: date`, YYYY-MM-DD): pydantic alone also read `to=0` as 1970-01-01."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]


@estimates.post("/estimate", response_model=GenerationEstimate, operation_id="estimateGeneration",
                responses=problems(401, 422, 429),
                summary="What a generation would cost (per stage and model) and take, before asking for it")
async def estimate_generation(body: GenerationCreate, gw: GatewayDep, who: PrincipalDep) -> GenerationEstimate:
    """The same body as POST /v1/generations. Prices come from the model registry and the models this
    deployment runs; before planning the number of beats is the planner's typical one (`low_usd`..`high_usd`
    spans every plan it may make). Nothing is created."""
    spec = build_spec(body, long_side=gw.settings.render_long_side, fps=gw.settings.fps, seed=0)
    found = estimate_spec(spec, gw.settings)
    limit = body.max_cost_usd
    return GenerationEstimate(**found.model_dump(), max_cost_usd=limit,
                              within_max_cost=None if limit is None else found.total_usd <= limit)


def _range(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    today = datetime.now(UTC).date()
    last = end or today
    first = start or (last - timedelta(days=29))
    if first > last:
        raise ProblemError(422, "`from` must not be after `to`", title="Request validation failed", kind="validation")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ProblemError(422, f"a usage range spans at most {MAX_RANGE_DAYS} days",
                           title="Request validation failed", kind="validation")
    return datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC)


From = Annotated[Day | None, Query(alias="from", description="First UTC day (default: 29 days before `to`).")]
To = Annotated[Day | None, Query(alias="to", description="Last UTC day, included (default: today).")]


@usage.get("", response_model=UsageReport, operation_id="getUsage", responses=problems(401, 422, 429),
           summary="Your usage: generations by outcome, seconds of video, spend by stage and model, per day")
async def get_usage(gw: GatewayDep, who: PrincipalDep, start: From = None, end: To = None) -> UsageReport:
    first, last = _range(start, end)
    return await gw.usage.report(first, last, owner=who.owner)


@admin_usage.get("", response_model=UsageReport, operation_id="getAdminUsage", responses=problems(401, 422),
                 summary="Usage across owners (admin token)")
async def get_admin_usage(
    gw: GatewayDep, start: From = None, end: To = None,
    owner: Annotated[str | None, Query(max_length=63, description="Only this owner.")] = None,
) -> UsageReport:
    first, last = _range(start, end)
    report = await gw.usage.report(first, last, owner=owner)
    if owner is not None:
        report.owners = None
    return report
