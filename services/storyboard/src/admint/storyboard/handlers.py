"""Storyboard handlers: fan-out (plan → a frame request per beat), one frame, fan-in (→ storyboard.completed).

The fan-in is idempotent on the document: `frame_done` records a frame and adds its beat to the counted set
in one atomic update, and whoever brings the count to the beat count publishes storyboard.completed.v1 (a
duplicate from a redelivery has the same msg id and is dropped by the stream). The rules live in `board`;
pixels go through the codec port.
"""

import logging

from admint.contracts.envelope import Event
from admint.contracts.storyboard import FrameCompleted, FrameRequested, PlanCompleted, StoryboardCompleted
from admint.core import keys
from admint.core.budget import ensure_budget
from admint.core.document import FrameEntry
from admint.core.errors import PermanentError, TransientError
from admint.core.events import follow
from admint.providers.pricing import call_price
from admint.providers.registry import load_registry
from admint.storyboard import board, studio
from admint.storyboard.board import PRODUCER, IncompleteStoryboard
from admint.storyboard.ports import NotAnImage, Ports
from admint.storyboard.product import product_image

log = logging.getLogger(__name__)


async def handle_plan_completed(event: PlanCompleted, ports: Ports) -> list[Event]:
    gid = event.generation_id
    if not await ports.docs.start_storyboard(gid, len(event.plan.beats), ports.image.name):
        log.info("generation %s is past storyboarding; not fanning out again", gid)
        return []
    styles = (await ports.docs.get(gid) or None) if event.spec.interactive else None
    return [board.started(event), *board.frame_requests(event, styles.beat_styles if styles else None)]


async def handle_frame_requested(event: FrameRequested, ports: Ports) -> list[Event]:
    gid, beat = event.generation_id, event.beat.index
    if event.take or event.ad_version > 1:
        return await studio.render_take(event, ports, _render)
    key = keys.storyboard_key(gid, beat)
    doc = await ports.docs.get(gid)
    stored = doc.storyboard.frame(beat) if doc is not None else None
    if stored is not None and await ports.blobs.exists(key):
        # redelivered after it was stored: do not pay for (or change) the frame again
        return [board.frame_completed(event, stored)]
    await ensure_budget(ports.docs, gid, key=f"storyboard:{beat}", what=f"the frame of beat {beat}",
                        next_usd=call_price(ports.image.name, 1, load_registry()))
    group = doc.group_id if doc is not None else None
    if group is None:
        frame = await _render(event, key, ports)
    else:
        fingerprint = board.frame_fingerprint(event, ports.image.name)
        async with ports.frame_lock(f"frame:{group}:{fingerprint}"):
            frame = await _copy_shared(event, key, group, fingerprint, ports) or await _render(
                event, key, ports, share_as=keys.shared_frame_key(group, fingerprint, gid))
    await ports.docs.record_cost(gid, board.frame_cost(beat, frame))
    await ports.docs.record_frame(gid, beat, frame)
    return [board.frame_completed(event, frame)]


async def _copy_shared(event: FrameRequested, key: str, group: str, fingerprint: str,
                       ports: Ports) -> FrameEntry | None:
    """The identical frame another member of the group rendered, copied (not rendered again, not paid twice)."""
    for shared in await ports.blobs.list_keys(keys.shared_frame_prefix(group, fingerprint)):
        source = shared.rsplit("/", 1)[-1].removesuffix(".png")
        if source == event.generation_id:
            continue
        try:
            png = await ports.blobs.get_bytes(shared)
        except FileNotFoundError:
            continue
        ref = await ports.blobs.put_bytes(key, png, "image/png")
        log.info("beat %d: copied the identical frame of %s", event.beat.index, source)
        return FrameEntry(image=ref, model=ports.image.name, cost_usd=0.0, reused_from=source)
    return None


async def handle_frame_completed(event: FrameCompleted, ports: Ports) -> list[Event]:
    gid, total = event.generation_id, event.beat_count
    if event.take or event.ad_version > 1:
        return await studio.take_done(event, ports)
    # (the event carries no spec: the document the fan-in update left says whether it is interactive)
    count, doc = await ports.docs.frame_done(gid, event.beat_index, board.recorded(event))
    out: list[Event] = [board.progress(event, count)]
    if doc.spec.interactive:
        out += await studio.frame_ready(event, doc, ports)
    if count < total:
        return out
    try:
        spec, plan, frames = board.assemble(doc, total)
    except IncompleteStoryboard as exc:
        raise TransientError(f"storyboard of {gid} counted complete but {exc}") from exc
    if spec.interactive:
        return out + await studio.storyboard_done(event, spec, plan, frames, ports)
    out.append(follow(event, StoryboardCompleted, PRODUCER, spec=spec, plan=plan, frames=frames))
    return out


async def _render(event: FrameRequested, key: str, ports: Ports, share_as: str | None = None) -> FrameEntry:
    """Render the beat's frame, conform it to the spec's size and store it (not yet recorded); `share_as`: also
    where the other members of its group will find it."""
    result = await ports.image.render(board.image_request(event, await product_image(event.spec, ports)))
    try:
        png = await ports.codec.conform(result.png, event.spec.size)
    except NotAnImage as exc:
        raise PermanentError(
            f"The image model {result.model} returned something that is not an image.", detail=str(exc)
        ) from exc
    ref = await ports.blobs.put_bytes(key, png, "image/png")
    if share_as is not None:
        await ports.blobs.put_bytes(share_as, png, "image/png")
    return FrameEntry(image=ref, model=result.model, cost_usd=result.cost_usd, take=event.take, seed=event.seed)
