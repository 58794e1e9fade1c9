"""Per-key quotas beside the rate limit: generations per UTC day and provider spend per UTC month.

Checked when a generation is asked for; the spend quota counts what the key's generations of the month have
recorded plus the new request's estimate, so a request that would take the key past its quota is refused before
anything is spent. Answers 429 problem+json naming the quota (`limit`) and when it resets (`Retry-After`).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from admint.gateway.auth import Principal
from admint.gateway.metrics import RATE_LIMITED
from admint.gateway.problems import ProblemError
from admint.gateway.usage import UsageQueries


def day_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(at: datetime) -> datetime:
    return day_start(at).replace(day=1)


def next_month(at: datetime) -> datetime:
    start = month_start(at)
    return (start + timedelta(days=32)).replace(day=1)


def _refuse(detail: str, limit: str, resets: datetime, at: datetime, **extra: Any) -> ProblemError:
    RATE_LIMITED.labels(limit).inc()
    retry = max(1, int((resets - at).total_seconds()) + 1)
    return ProblemError(429, detail, kind="quota-exceeded", headers={"Retry-After": str(retry)},
                        retry_after_s=retry, limit=limit, resets_at=resets.isoformat(), **extra)


async def check_quotas(usage: UsageQueries, who: Principal, estimate_usd: float, at: datetime) -> None:
    if who.generations_per_day is not None:
        made = await usage.created_by_key(who.key_id, day_start(at))
        if made >= who.generations_per_day:
            raise _refuse(f"this key made {made} generations today; its quota is {who.generations_per_day} a day",
                          "generations_per_day", day_start(at) + timedelta(days=1), at, used=made,
                          quota=who.generations_per_day)
    if who.spend_per_month_usd is not None:
        spent = await usage.spent_by_key(who.key_id, month_start(at))
        if spent + estimate_usd > who.spend_per_month_usd + 1e-9:
            raise _refuse(f"this key spent {spent:.4f} USD this month and this request is estimated at "
                          f"{estimate_usd:.4f} USD; its quota is {who.spend_per_month_usd:g} USD a month",
                          "spend_per_month_usd", next_month(at), at, used=spent, estimate_usd=estimate_usd,
                          quota=who.spend_per_month_usd)
