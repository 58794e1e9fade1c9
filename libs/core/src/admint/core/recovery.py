"""Partial recovery: re-run only a failed stage's missing pieces, reusing everything already stored.

The stage's entry event is read back from the stream and re-published as a new retry round (`attempt` + 1, so
its de-duplication id is new); every handler skips work whose output is already stored.
"""

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from admint.contracts.envelope import utcnow
from admint.contracts.ids import new_id
from admint.contracts.registry import parse_event
from admint.contracts.stages import PIPELINE
from admint.contracts.subjects import subject_for
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
    except NotFoundError:
        raise NotRetryable(f"the input of the {stage} stage is no longer in the event stream") from None
    entry = parse_event(message.data or b"")
    attempt = await docs.reopen(generation_id, PIPELINE.status_of_stage[stage])
    if attempt is None:
        raise NotRetryable("the generation changed while retrying; read it again")
    await publisher.publish(entry.model_copy(update={
        "id": new_id(), "attempt": attempt, "occurred_at": utcnow(), "producer": producer, "causation_id": entry.id,
    }))
    return attempt, stage
