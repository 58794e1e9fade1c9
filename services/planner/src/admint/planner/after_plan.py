"""What follows a stored plan: the storyboard (automatic path), or the first checkpoint of an interactive generation.

An automatic generation goes straight on (plan.completed), as it always did. For an interactive one every beat's
card starts as planned (beat cards are kept for interactive generations and later versions; an automatic
generation's cards are derived from its document when read). With a moods checkpoint it asks the storyboard for
the mood boards (the status stays planning until they are shown); with a plan checkpoint it waits for its owner;
with neither, it goes on like an automatic one. A redelivery re-announces the same step (same msg ids), and does
nothing once the generation has moved past it.
"""

from datetime import timedelta

from admint.contracts.envelope import Event, utcnow
from admint.contracts.generation import GenerationRequested
from admint.contracts.interactive import BeatUpdated, CheckpointReached, MoodsRequested
from admint.contracts.plan import Plan
from admint.contracts.stages import PIPELINE
from admint.contracts.storyboard import PlanCompleted
from admint.core.events import follow
from admint.core.stores import GenerationStore

PRODUCER = "planner"


async def after_planning(event: GenerationRequested, plan: Plan, docs: GenerationStore,
                         deadline_s: float) -> list[Event]:
    gid, spec = event.generation_id, event.spec
    out: list[Event] = []
    if not spec.interactive:
        return [follow(event, PlanCompleted, PRODUCER, spec=spec, plan=plan)]
    for beat in plan.beats:
        if await docs.move_beat(gid, beat.index, "planned"):
            out.append(follow(event, BeatUpdated, PRODUCER, beat_index=beat.index, state="planned"))
    first = PIPELINE.first_checkpoint_after("planning", spec.checkpoints)
    if first == "moods":
        if await docs.status(gid) == "planning":
            out.append(follow(event, MoodsRequested, PRODUCER, spec=spec, plan=plan))
    elif first is not None:
        if await docs.wait_at(gid, first):
            out.append(follow(event, CheckpointReached, PRODUCER, checkpoint=first, plan=plan,
                              deadline=utcnow() + timedelta(seconds=deadline_s)))
    else:
        out.append(follow(event, PlanCompleted, PRODUCER, spec=spec, plan=plan))
    return out
