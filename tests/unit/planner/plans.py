"""Plans with chosen beat durations, for the steering tests (captions "Caption <i>", varied moves and energy)."""

from admint.contracts.common import FrameSize
from admint.contracts.plan import Beat, Plan
from tests.support.builders import plan as base_plan

VERTICAL = FrameSize(width=1080, height=1920)
SMALL = FrameSize(width=180, height=320)
LANDSCAPE = FrameSize(width=1920, height=1080)


def plan_of(*durations: int) -> Plan:
    """A plan whose beats last `durations` (e.g. 5, 5, 10, 5, 5 for a 30 s ad)."""
    base = base_plan(sum(durations))
    beats: list[Beat] = []
    start = 0
    for i, duration in enumerate(durations):
        template = base.beats[i % len(base.beats)]
        beats.append(
            template.model_copy(
                update={
                    "index": i,
                    "start_s": start,
                    "duration_s": duration,
                    "caption": f"Caption {i}",
                    "role": "action" if i == len(durations) - 1 else template.role,
                    "energy": round(0.3 + 0.1 * i, 2),
                }
            )
        )
        start += duration
    return Plan.model_validate({**base.model_dump(), "beats": [b.model_dump() for b in beats]})
