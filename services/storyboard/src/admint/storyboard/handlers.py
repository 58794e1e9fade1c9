"""Storyboard handlers: fan-out (plan → a frame request per beat), one frame, fan-in (→ storyboard.completed).

The fan-in is idempotent on the document: each frame's ref is written first, then its beat index is added to a
set whose size is the count; whoever brings the count to the beat count publishes storyboard.completed.v1 (a
duplicate from a redelivery has the same msg id and is dropped by the stream).
"""

import logging
from dataclasses import dataclass

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.generation import StageProgress
from admint.contracts.storyboard import FrameCompleted, FrameRequested, PlanCompleted, StoryboardCompleted
from admint.core import keys
from admint.core.errors import PermanentError, TransientError
from admint.core.events import follow
from admint.core.stores import GenerationStore, ObjectStore
from admint.media.ffmpeg import MediaToolError
from admint.providers.ports import ImageModel, ImageRequest
from admint.storyboard.frames import (
    IncompleteStoryboard,
    assemble,
    check_product_image,
    conform_png,
    frame_requests,
    stored_frame,
)

log = logging.getLogger(__name__)
PRODUCER = "storyboard"


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    image: ImageModel


async def handle_plan_completed(event: PlanCompleted, ports: Ports) -> list[Event]:
    gid, total = event.generation_id, len(event.plan.beats)
    fields = {
        "storyboard.total": total,
        "storyboard.image_model": ports.image.name,
        "storyboard.spec": event.spec.model_dump(mode="json"),
        "storyboard.plan": event.plan.model_dump(mode="json"),
    }
    if not await ports.docs.advance(gid, "storyboarding", fields):
        log.info("generation %s is past storyboarding; not fanning out again", gid)
        return []
    start = follow(
        event,
        StageProgress,
        PRODUCER,
        stage="storyboard",
        done=0,
        total=total,
        item="start",
        message=f"rendering {total} storyboard frames",
    )
    return [start, *frame_requests(event, PRODUCER)]


async def handle_frame_requested(event: FrameRequested, ports: Ports) -> list[Event]:
    gid, beat = event.generation_id, event.beat.index
    key = keys.storyboard_key(gid, beat)
    done = stored_frame(await ports.docs.get(gid), beat)
    if done is not None and await ports.blobs.exists(key):
        ref, model, cost = done  # redelivered after it was stored: do not pay for (or change) the frame again
        return [_frame_completed(event, ref, model, cost)]

    result = await ports.image.render(
        ImageRequest(
            beat=event.beat,
            style=event.style,
            size=event.spec.size,
            seed=event.spec.seed,
            product=event.product,
            product_image=await _product_image(event, ports),
        )
    )
    try:
        png = conform_png(result.png, event.spec.size)
    except MediaToolError as exc:
        raise PermanentError(
            f"The image model {result.model} returned something that is not an image.", detail=str(exc)
        ) from exc
    ref = await ports.blobs.put_bytes(key, png, "image/png")
    await ports.docs.record_cost(
        gid,
        CostEntry(
            key=f"storyboard:{beat}", stage="storyboard", model=result.model, units=1, usd=result.cost_usd
        ),
    )
    await ports.docs.set_fields(
        gid, {f"frames.{beat}": ref.model_dump(mode="json"), f"storyboard.models.{beat}": result.model}
    )
    return [_frame_completed(event, ref, result.model, result.cost_usd)]


def _frame_completed(event: FrameRequested, image: ArtifactRef, model: str, cost_usd: float) -> FrameCompleted:
    return follow(event, FrameCompleted, PRODUCER, beat_index=event.beat.index, beat_count=event.beat_count,
                  image=image, model=model, cost_usd=cost_usd)


async def handle_frame_completed(event: FrameCompleted, ports: Ports) -> list[Event]:
    gid, beat, total = event.generation_id, event.beat_index, event.beat_count
    await ports.docs.set_fields(gid, {f"frames.{beat}": event.image.model_dump(mode="json")})
    count = await ports.docs.add_to_set(gid, "storyboard.done", beat)
    out: list[Event] = [
        follow(
            event,
            StageProgress,
            PRODUCER,
            stage="storyboard",
            done=min(count, total),
            total=total,
            item=str(beat),
            message=f"frame {beat + 1} of {total} ready",
        )
    ]
    if count < total:
        return out
    try:
        spec, plan, frames = assemble(await ports.docs.get(gid) or {}, total)
    except IncompleteStoryboard as exc:
        raise TransientError(f"storyboard of {gid} counted complete but {exc}") from exc
    out.append(follow(event, StoryboardCompleted, PRODUCER, spec=spec, plan=plan, frames=frames))
    return out


async def _product_image(event: FrameRequested, ports: Ports) -> bytes | None:
    asset = event.spec.product_asset
    if asset is None:
        return None
    try:
        data = await ports.blobs.get_bytes(asset.key)
    except FileNotFoundError:
        raise PermanentError(
            "The product image is missing from storage; upload it again.",
            detail=f"{asset.bucket}/{asset.key}",
        ) from None
    try:
        check_product_image(data)
    except MediaToolError as exc:
        raise PermanentError(
            "The product image could not be read; upload a PNG or JPEG.", detail=str(exc)
        ) from exc
    return data
