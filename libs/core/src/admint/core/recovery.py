"""Partial recovery: re-run only a failed stage's missing pieces, reusing everything already stored.

The stage's entry event is read back from the stream and re-published as a new retry round (`attempt` + 1, so
its de-duplication id is new); every handler skips work whose output is already stored.
"""

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from admint.contracts.envelope import Event, utcnow
from admint.contracts.ids import new_id
from admint.contracts.registry import parse_event
from admint.contracts.stages import PIPELINE
from admint.contracts.storyboard import FrameRef, PlanCompleted, StoryboardCompleted
from admint.contracts.subjects import subject_for
from admint.core.document import GenerationDoc
from admint.core.errors import AdmintError
from admint.core.stores import GenerationStore
from admint.core.worker import Publisher


class NotRetryable(AdmintError):
    """The generation cannot be retried; the message says why (answered as 409)."""


async def retry_generation(
    docs: GenerationStore, js: JetStreamContext, publisher: Publisher, generation_id: str, *,
    stream: str, producer: str,
) -> tuple[int, str]:
    """Reopen a failed generation at its failed stage and re-publish that stage's entry event; (attempt, stage)."""
    doc = await docs.get(generation_id)
    if doc is None:
        raise NotRetryable(f"no generation {generation_id}")
    if doc.status != "failed":
        raise NotRetryable(f"only failed generations can be retried; this one is {doc.status}")
    stage = doc.error.stage if doc.error else None
    if stage not in PIPELINE.entry_event:
        raise NotRetryable(f"the failed stage {stage!r} is unknown, so there is nothing to re-run")
    try:
        message = await js.get_last_msg(stream, subject_for(generation_id, PIPELINE.entry_event[stage]))
        entry = parse_event(message.data or b"")
    except NotFoundError:
        rebuilt = rebuild_entry(doc, stage, producer)
        if rebuilt is None:
            raise NotRetryable(f"the input of the {stage} stage is no longer in the event stream") from None
        entry = rebuilt
    attempt = await docs.reopen(generation_id, PIPELINE.status_of_stage[stage])
    if attempt is None:
        raise NotRetryable("the generation changed while retrying; read it again")
    await publisher.publish(entry.model_copy(update={
        "id": new_id(), "attempt": attempt, "occurred_at": utcnow(), "producer": producer, "causation_id": entry.id,
    }))
    return attempt, stage


def rebuild_entry(doc: GenerationDoc, stage: str, producer: str) -> Event | None:
    """A stage's entry event made again from the document, when the stream lost it (or it was never published: a
    gateway that died between an approval's commit and its publish). Possible where the document holds all of it:
    the plan (storyboard) and the approved frames (chunking)."""
    if doc.plan is None:
        return None
    if PIPELINE.entry_event.get(stage) == "plan.completed.v1":
        return PlanCompleted(generation_id=doc.id, producer=producer, spec=doc.spec, plan=doc.plan)
    if PIPELINE.entry_event.get(stage) == "storyboard.completed.v1":
        frames = [FrameRef(beat_index=b.index, image=f.image) for b in doc.plan.beats
                  if (f := doc.storyboard.frame(b.index)) is not None]
        if len(frames) == len(doc.plan.beats):
            return StoryboardCompleted(generation_id=doc.id, producer=producer, spec=doc.spec, plan=doc.plan,
                                       frames=frames)
    return None
