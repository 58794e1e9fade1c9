"""Generation statuses and the forward-only order they move in."""

from typing import Literal

Status = Literal[
    "queued",
    "planning",
    "storyboarding",
    "chunking",
    "stitching",
    "exporting",
    "completed",
    "failed",
    "cancelled",
]

ORDER: tuple[str, ...] = (
    "queued",
    "planning",
    "storyboarding",
    "chunking",
    "stitching",
    "exporting",
    "completed",
)
TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
ACTIVE: tuple[str, ...] = ORDER[:-1]

STAGE_OF_STATUS: dict[str, str] = {
    "planning": "planning",
    "storyboarding": "storyboard",
    "chunking": "chunking",
    "stitching": "stitching",
    "exporting": "exporting",
}


def statuses_before(target: str) -> list[str]:
    """Statuses from which `target` may be reached: any earlier non-terminal one (and itself, idempotently).

    failed/cancelled are reachable from every non-terminal status; nothing leaves a terminal status.
    """
    if target in ("failed", "cancelled"):
        return list(ACTIVE)
    if target not in ORDER:
        raise ValueError(f"unknown status {target!r}")
    return list(ORDER[: ORDER.index(target) + 1])
