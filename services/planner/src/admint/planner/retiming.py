"""Change one beat's length while the ad keeps its length: the time comes from (or goes to) other beats.

The ad's duration was fixed when the generation was requested, and every beat lasts 5, 10 or 15 s, so a
longer beat must be paid for by shorter ones. Nearest beats pay first (the next, then the previous, then
further out), so the change stays local to where the user pointed.
"""

from dataclasses import dataclass

from admint.plans.plan_edits import ALLOWED_DURATIONS, allowed_durations

STEP = min(ALLOWED_DURATIONS)
SHORTEST, LONGEST = min(ALLOWED_DURATIONS), max(ALLOWED_DURATIONS)


@dataclass(frozen=True)
class Retimed:
    """New durations, or why the change cannot be made (then durations are the old ones)."""

    durations: list[int]
    problem: str | None = None


def retime(durations: list[int], index: int, new: int) -> Retimed:
    """Beat `index` lasts `new` seconds; the nearest other beats absorb the difference in 5 s steps."""
    label = f"Beat {index + 1}"
    if new not in ALLOWED_DURATIONS:
        return Retimed(durations, f"{label} cannot last {new} s: beats last {allowed_durations()} seconds.")
    out = list(durations)
    owed = new - out[index]  # > 0: the others give this much; < 0: the others take it
    out[index] = new
    for j in _nearest_first(index, len(out)):
        if owed == 0:
            break
        sign = 1 if owed > 0 else -1
        room = out[j] - SHORTEST if sign > 0 else LONGEST - out[j]
        moved = sign * (min(abs(owed), room) // STEP * STEP)
        out[j] -= moved
        owed -= moved
    if owed:
        why = "no other beat can be shorter" if new > durations[index] else "every other beat is already 15 s"
        return Retimed(durations, f"{label} cannot become {new} s while the ad keeps its length: {why}.")
    return Retimed(out)


def step(durations: list[int], index: int, direction: int) -> Retimed:
    """One 5 s step longer (direction 1) or shorter (-1), or why not (already at the limit)."""
    now = durations[index]
    new = now + direction * STEP
    if new < SHORTEST:
        return Retimed(durations, f"Beat {index + 1} is already {now} s, the shortest a beat can be.")
    if new > LONGEST:
        return Retimed(durations, f"Beat {index + 1} is already {now} s, the longest a beat can be.")
    return retime(durations, index, new)


def _nearest_first(index: int, count: int) -> list[int]:
    return sorted((j for j in range(count) if j != index), key=lambda j: (abs(j - index), j < index))
