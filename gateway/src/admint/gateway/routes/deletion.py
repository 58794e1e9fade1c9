"""DELETE /v1/generations/{id}: a privacy request, honoured in full.

Every object under the generation's prefix is removed, its events are purged from the stream (they carry the
brief and the plan's copy), its idempotency record and recorded webhook payloads go, and the document keeps only
what usage needs (outcome, durations, costs) with the brief redacted. A running generation is refused with 409
unless `?cancel=true`, which cancels it first. `generation.deleted.v1` is published last: it ends any open SSE
feed and is sent to webhooks. Work still in flight may store an object after this; the notifier's retention
sweep removes such stragglers for an hour after the deletion.
"""

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.generation import GenerationCancelled, GenerationDeleted
from admint.contracts.ids import ID_PATTERN
from admint.contracts.stages import PIPELINE
from admint.contracts.subjects import generation_filter
from admint.core import keys
from admint.core.docstore import now
from admint.core.document import CancelInfo, DeletionInfo, GenerationDoc
from admint.gateway.deps import GatewayDep, PrincipalDep
from admint.gateway.problems import ProblemError, problems
from admint.gateway.state import Gateway

router = APIRouter(prefix="/v1/generations", tags=["generations"])
log = logging.getLogger(__name__)


class Deleted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Generation id.")
    deleted_at: datetime = Field(description="When the deletion was asked for.")
    objects_deleted: int = Field(description="Stored objects removed.", ge=0)
    cancelled: bool = Field(description="Whether it was running and was cancelled first.")


def gone(doc: GenerationDoc) -> ProblemError:
    """What every read of a deleted generation answers."""
    assert doc.deletion is not None
    return ProblemError(410, f"generation {doc.id} was deleted at {doc.deletion.requested_at.isoformat()}",
                        kind="deleted", generation_id=doc.id, deleted_at=doc.deletion.requested_at.isoformat())


async def remove_objects(gw: Gateway, generation_id: str) -> int:
    stored = await gw.blobs.list_keys(keys.generation_prefix(generation_id))
    for key in stored:
        await gw.blobs.delete(key)
    return len(stored)


@router.delete("/{generation_id}", response_model=Deleted, operation_id="deleteGeneration",
               responses=problems(401, 404, 409, 422, 429),
               summary="Delete a generation: its media, its events, its brief (409 while running)")
async def delete_generation(
    generation_id: Annotated[str, Path(description="Generation id.", pattern=ID_PATTERN)], gw: GatewayDep,
    who: PrincipalDep,
    cancel: Annotated[bool, Query(description="Cancel it first when it is still running.")] = False,
) -> Deleted:
    doc = await gw.generations.get_owned(generation_id, who.owner)
    if doc is None:
        raise ProblemError(404, f"no generation {generation_id} for this key", kind="not-found")
    cancelled = False
    if doc.deletion is None and doc.status not in PIPELINE.terminal:
        if not cancel:
            raise ProblemError(409, f"generation {generation_id} is still {doc.status}; add ?cancel=true to cancel "
                                    "and delete it", kind="still-running", generation_status=doc.status)
        cancelled = await gw.docs.cancel(generation_id, CancelInfo(by=who.owner, key_id=who.key_id))
        if cancelled:  # workers drop its in-flight work
            await gw.publisher.publish(GenerationCancelled(generation_id=generation_id, reason="deleted by owner",
                                                           producer=gw.settings.service_name, requested_by=who.owner))
    await gw.docs.mark_deleted(generation_id, DeletionInfo(requested_at=now(), by=who.owner, key_id=who.key_id))
    await gw.js.purge_stream(gw.settings.stream_name, subject=generation_filter(generation_id))
    removed = await remove_objects(gw, generation_id)
    await gw.docs.deletion_done(generation_id, removed)
    await gw.idempotency.forget_generation(who.owner, generation_id)
    await gw.deliveries.forget_generation(generation_id)
    await gw.publisher.publish(GenerationDeleted(generation_id=generation_id, producer=gw.settings.service_name,
                                                 requested_by=who.owner, objects_deleted=removed))
    log.info("generation deleted: %d objects", removed, extra={"generation_id": generation_id})
    final = await gw.docs.get(generation_id)
    assert final is not None and final.deletion is not None
    return Deleted(id=generation_id, deleted_at=final.deletion.requested_at,
                   objects_deleted=final.deletion.objects_deleted, cancelled=cancelled)
