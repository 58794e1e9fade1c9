"""Shared shapes that turn a raw measurement into a 0–100 score, so every dimension reads the same way."""

import math


def decay(excess: float, scale: float) -> float:
    """100 at no excess, falling smoothly: 100·exp(−excess/scale) (37 at one scale, 14 at two)."""
    return 100.0 * math.exp(-max(0.0, excess) / scale)


def ramp(value: float, low: float, high: float) -> float:
    """0 at or below `low`, 100 at or above `high`, linear between."""
    return 100.0 * min(1.0, max(0.0, (value - low) / (high - low)))


def share_score(share: float) -> float:
    """100·(1 − share)²: a defect covering a tenth of the clip costs ~19 points, half of it 75."""
    return 100.0 * (1.0 - min(1.0, max(0.0, share))) ** 2
