"""Beat durations: every beat 5, 10 or 15 s, summing exactly to the ad's duration."""

import math

UNIT_S = 5
MAX_UNITS = 3
MIN_BEATS = 3


def beat_bounds(duration_s: int) -> tuple[int, int]:
    """Fewest and most beats that can tile `duration_s` (at least three: hook, body, close)."""
    if duration_s % UNIT_S or duration_s < MIN_BEATS * UNIT_S:
        raise ValueError(
            f"duration {duration_s}s must be a multiple of {UNIT_S} and at least {MIN_BEATS * UNIT_S}s"
        )
    units = duration_s // UNIT_S
    return max(MIN_BEATS, math.ceil(units / MAX_UNITS)), units


def clamp_beats(duration_s: int, wanted: int) -> int:
    low, high = beat_bounds(duration_s)
    return min(max(wanted, low), high)


def tile(duration_s: int, weights: list[float]) -> list[int]:
    """Durations for len(weights) beats: each starts at 5 s, extra 5 s go to the beats that want to linger.

    A beat's claim on the next 5 s is weight / current length, so time spreads instead of piling up.
    """
    n = len(weights)
    low, high = beat_bounds(duration_s)
    if not low <= n <= high:
        raise ValueError(f"{n} beats cannot tile {duration_s}s (need {low}–{high})")
    units = [1] * n
    for _ in range(duration_s // UNIT_S - n):
        i = max(
            (i for i in range(n) if units[i] < MAX_UNITS),
            key=lambda i: (max(weights[i], 1e-6) / units[i], -i),
        )
        units[i] += 1
    return [u * UNIT_S for u in units]
