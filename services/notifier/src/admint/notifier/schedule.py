"""When a failed webhook is tried again: the configured schedule, jittered, never past the maximum age."""

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta


def next_attempt_at(failed_attempts: int, created_at: datetime, now: datetime, schedule_s: Sequence[float],
                    max_age_s: float, jitter: float, rng: Callable[[], float] = random.random) -> datetime | None:
    """The time of the next attempt after `failed_attempts` failures, None when the delivery has no retry left.

    Each delay is the schedule's, times a factor in [1 - jitter, 1 + jitter): receivers that came back are not
    hit by every sender at once, and (with jitter below 1/3 of the growth between steps) delays still grow.
    """
    if failed_attempts < 1 or failed_attempts > len(schedule_s):
        return None
    delay = schedule_s[failed_attempts - 1] * (1 + jitter * (2 * rng() - 1))
    due = now + timedelta(seconds=max(0.0, delay))
    if (due - created_at).total_seconds() > max_age_s:
        return None
    return due
