"""The quality gate: with a `quality_threshold` on the request, a chunk take counts only once its score says so.

Pure decisions over the scores the scorer recorded. A take at or above the threshold is kept; below it, the chunk
is rendered again with a new seed (the next take), at most `max_retakes` times; after the last one the best
take is kept (the highest overall score; the earliest of equals). A take the scorer could not measure passes
(a score never fails an ad, and nothing would ever measure it). Chunks of a beat stay sequential: the next chunk
animates from the kept take's last frame, so a beat moves on only once its chunk is kept.
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class GateDecision:
    keep: int | None
    """The take to keep (None: render another)."""
    retake: int | None
    """The take to render next (None: keep one)."""
    note: str
    """What happened, for the progress feed."""


def decide(threshold: float, max_retakes: int, take: int, scores: Mapping[int, float | None]) -> GateDecision:
    """`scores`: overall score per scored take of the chunk (None: could not be measured), `take` the one
    just scored."""
    current = scores.get(take)
    if current is None:
        return GateDecision(take, None, f"take {take} could not be scored: kept")
    if current >= threshold:
        return GateDecision(take, None, f"take {take} scored {current:.1f} ≥ {threshold:g}: kept")
    if take < max_retakes:
        return GateDecision(None, take + 1, f"take {take} scored {current:.1f} < {threshold:g}: rendering take "
                                            f"{take + 1} of at most {max_retakes}")
    measured = {t: s for t, s in scores.items() if s is not None}
    best = max(sorted(measured), key=lambda t: measured[t])
    return GateDecision(best, None, f"take {take} scored {current:.1f} < {threshold:g}, no retakes left: "
                                    f"keeping take {best} ({measured[best]:.1f})")
