"""The storyboard's interactive work: mood boards, later takes of a beat's frame, beat cards and the storyboard
checkpoint, and the frames of a new version of a completed ad.

- moods.requested → twelve preview images (three looks × four, moods.py) → the moods checkpoint.
- a later take (a regeneration at the storyboard checkpoint) renders under its own key (`<beat>.t<take>.png`) and
  replaces the beat's current frame only if no newer take was asked for meanwhile; an image model that refuses
  fails that beat's card (the owner may regenerate it again), not the generation.
- version.requested → a frame request per beat whose frame changes (a take like any other), or straight to
  storyboard.completed of that version when only video or captions change; the version's own fan-in counts its
  new frames and hands every frame of the version (the unchanged ones prefilled) to the chunker.
- the first storyboard of an interactive generation ends at the storyboard checkpoint (if asked for) instead of
  going straight to the chunker.

Idempotent like the rest: takes and mood images have deterministic keys and are re-announced when stored, beat
cards move conditionally, fan-ins count sets.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event, utcnow
from admint.contracts.generation import GenerationSpec
from admint.contracts.interactive import (
    BeatFrame,
    BeatUpdated,
    CheckpointReached,
    ImageLink,
    MoodBoard,
    MoodsRequested,
    VersionRequested,
)
from admint.contracts.plan import Plan, Style
from admint.contracts.stages import WAITING
from admint.contracts.storyboard import FrameCompleted, FrameRef, FrameRequested, StoryboardCompleted
from admint.core import keys
from admint.core.document import FrameEntry, GenerationDoc, MoodBoardRecord, MoodsSection
from admint.core.errors import PermanentError, TransientError
from admint.core.events import follow
from admint.providers.ports import ImageRequest
from admint.storyboard import board
from admint.storyboard.board import PRODUCER
from admint.storyboard.moods import MoodImage, board_images, looks, preview_size
from admint.storyboard.ports import NotAnImage, Ports
from admint.storyboard.product import product_image

log = logging.getLogger(__name__)
Render = Callable[[FrameRequested, str, Ports], Awaitable[FrameEntry]]
MOOD_RENDERS_AT_ONCE = 4


# --------------------------------------------------------------------------------------------- beat cards


async def link(ports: Ports, beat: int, frame: FrameEntry) -> BeatFrame:
    return BeatFrame(beat_index=beat, take=frame.take, image=frame.image,
                     url=await ports.blobs.presign_get(frame.image.key))


async def frame_ready(event: FrameCompleted, doc: GenerationDoc, ports: Ports) -> list[Event]:
    """A first frame of an interactive generation: its card shows it."""
    frame = doc.storyboard.frame(event.beat_index) or board.recorded(event)
    if not await ports.docs.move_beat(doc.id, event.beat_index, "frame_ready"):
        return []
    return [follow(event, BeatUpdated, PRODUCER, beat_index=event.beat_index, state="frame_ready",
                   frame=await link(ports, event.beat_index, frame))]


async def storyboard_done(event: FrameCompleted, spec: GenerationSpec, plan: Plan, frames: list[FrameRef],
                          ports: Ports) -> list[Event]:
    """Every first frame of an interactive generation is in: wait at the storyboard checkpoint, or (without one)
    approve them at once and go on."""
    gid = event.generation_id
    if "storyboard" in spec.checkpoints:
        if not await ports.docs.wait_at(gid, "storyboard"):
            return []
        doc = await ports.docs.get(gid)
        shown = [await link(ports, f.beat_index, entry) for f in frames
                 if doc is not None and (entry := doc.storyboard.frame(f.beat_index)) is not None]
        return [follow(event, CheckpointReached, PRODUCER, checkpoint="storyboard", plan=plan, frames=shown,
                       deadline=utcnow() + timedelta(seconds=ports.deadline_s))]
    out: list[Event] = [e for f in frames for e in await _approved(event, f.beat_index, ports)]
    out.append(follow(event, StoryboardCompleted, PRODUCER, spec=spec, plan=plan, frames=frames))
    return out


async def _approved(event: Event, beat: int, ports: Ports, take: int = 0) -> list[Event]:
    if not await ports.docs.move_beat(event.generation_id, beat, "frame_approved"):
        return []
    return [follow(event, BeatUpdated, PRODUCER, beat_index=beat, state="frame_approved", take=take)]


# --------------------------------------------------------------------------------------------------- takes


async def render_take(event: FrameRequested, ports: Ports, render: Render) -> list[Event]:
    """Render a later take of a beat's frame (a regeneration, or a new version's frame)."""
    gid, beat, take, version = event.generation_id, event.beat.index, event.take, event.ad_version
    doc = await ports.docs.get(gid)
    if doc is None:
        return []
    key = keys.storyboard_key(gid, beat, take)
    stored = doc.storyboard.take(beat, take)
    if stored is not None and await ports.blobs.exists(key):
        return [board.frame_completed(event, stored)]  # redelivered after it was stored
    if not _take_wanted(doc, event):
        log.info("take %d of beat %d is no longer wanted; not rendering it", take, beat)
        return []
    try:
        frame = await render(event, key, ports)
    except PermanentError as exc:
        if version > 1:
            raise  # the version fails (the ad stays at its previous version)
        # at a checkpoint a refused take fails that beat's card only: the owner may regenerate it again
        if await ports.docs.move_beat(gid, beat, "failed", reason=exc.reason, expect_take=take):
            return [follow(event, BeatUpdated, PRODUCER, beat_index=beat, state="failed", take=take,
                           reason=exc.reason[:500])]
        return []
    await ports.docs.record_cost(gid, board.frame_cost(beat, frame, version))
    await ports.docs.record_frame_take(gid, beat, frame)
    return [board.frame_completed(event, frame)]


def _take_wanted(doc: GenerationDoc, event: FrameRequested) -> bool:
    if event.ad_version > 1:
        version = doc.ad_version(event.ad_version)
        return version is not None and version.state == "rendering"
    record = doc.beat(event.beat.index)
    return doc.status == WAITING and record is not None and record.take == event.take \
        and record.state == "regenerating"


async def take_done(event: FrameCompleted, ports: Ports) -> list[Event]:
    """A later take is stored: it becomes the beat's frame (unless a newer take was asked for), its card shows it;
    for a new version, the version's fan-in counts it."""
    gid, beat, take, version = event.generation_id, event.beat_index, event.take, event.ad_version
    doc = await ports.docs.get(gid)
    if doc is None:
        return []
    frame = doc.storyboard.take(beat, take) or board.recorded(event)
    out: list[Event] = []
    section = doc.ad_version(version) if version > 1 else None
    if version > 1 and (section is None or section.state != "rendering"):
        return []
    current = doc.storyboard.frame(beat)
    listed = doc.storyboard.takes.get(str(beat)) or {}
    if current is not None and current.take != take and str(current.take) not in listed:
        await ports.docs.record_frame_take(gid, beat, current)  # the replaced frame stays listed (its object is stored)
    if await ports.docs.use_take(gid, beat, frame) and await ports.docs.move_beat(
            gid, beat, "frame_ready", take=take, expect_take=take):
        out.append(follow(event, BeatUpdated, PRODUCER, beat_index=beat, state="frame_ready", take=take,
                          frame=await link(ports, beat, frame)))
    if section is None:
        return out
    count = await ports.docs.version_frame_done(gid, version, beat, frame)
    needed = [b.index for b in section.beats if b.redo == "frame"]
    if count < len(needed):
        return out
    fresh = await ports.docs.get(gid)
    done = fresh.ad_version(version) if fresh is not None else None
    if done is None:
        return out
    missing = [b.index for b in done.plan.beats if str(b.index) not in done.frames]
    if missing:
        raise TransientError(f"version {version} counted its frames complete but lacks beats {missing}")
    for index in needed:
        out += await _approved(event, index, ports, take=(done.redo(index) or section.beats[0]).take)
    frames = [FrameRef(beat_index=b.index, image=done.frames[str(b.index)].image) for b in done.plan.beats]
    out.append(follow(event, StoryboardCompleted, PRODUCER, spec=doc.spec, plan=done.plan, frames=frames))
    return out


# ------------------------------------------------------------------------------------------------ versions


async def handle_version_requested(event: VersionRequested, ports: Ports) -> list[Event]:
    """A new version: new frames where they change, else straight on to the chunker with the version's frames."""
    gid, version = event.generation_id, event.ad_version
    doc = await ports.docs.get(gid)
    section = doc.ad_version(version) if doc is not None else None
    if doc is None or section is None or section.state != "rendering":
        log.info("version %d of %s is not rendering; nothing to do", version, gid)
        return []
    plan = event.plan
    frame_beats = [b for b in event.beats if b.redo == "frame"]
    if not frame_beats:
        frames = [FrameRef(beat_index=b.index, image=section.frames[str(b.index)].image) for b in plan.beats
                  if str(b.index) in section.frames]
        if len(frames) != len(plan.beats):
            raise PermanentError(f"version {version} has no frame for some beats", detail=str(sorted(section.frames)))
        return [follow(event, StoryboardCompleted, PRODUCER, spec=event.spec, plan=plan, frames=frames)]
    return [follow(event, FrameRequested, PRODUCER, beat=plan.beats[b.index], beat_count=len(plan.beats),
                   style=b.style or doc.style_of(b.index) or plan.style, spec=event.spec, product=plan.product,
                   take=b.take, seed=b.seed) for b in frame_beats]


# --------------------------------------------------------------------------------------------------- moods


async def handle_moods_requested(event: MoodsRequested, ports: Ports) -> list[Event]:
    """Render the three mood boards (reusing stored images on a redelivery) and wait at the moods checkpoint."""
    gid = event.generation_id
    doc = await ports.docs.get(gid)
    if doc is None or not (doc.status == "planning" or (doc.status == WAITING and doc.checkpoint == "moods")):
        log.info("moods requested for a generation past them; nothing to do")
        return []
    boards = doc.moods.boards if doc.moods and len(doc.moods.boards) == 3 else None
    if boards is None:
        boards = await _render_boards(event, ports, await product_image(event.spec, ports))
        await ports.docs.record_moods(gid, MoodsSection(model=ports.image.name, boards=boards))
    if not await ports.docs.wait_at(gid, "moods"):
        return []
    shown = [MoodBoard(index=b.index, name=b.name, style=b.style, music=b.music,
                       images=[ImageLink(image=ref, url=await ports.blobs.presign_get(ref.key)) for ref in b.images])
             for b in boards]
    return [follow(event, CheckpointReached, PRODUCER, checkpoint="moods", plan=event.plan, moods=shown,
                   deadline=utcnow() + timedelta(seconds=ports.deadline_s))]


async def _render_boards(event: MoodsRequested, ports: Ports, product: bytes | None) -> list[MoodBoardRecord]:
    gate = asyncio.Semaphore(MOOD_RENDERS_AT_ONCE)
    size = preview_size(event.spec.size)
    gid = event.generation_id

    async def one(board_index: int, look_style: Style, image: MoodImage) -> ArtifactRef:
        key = keys.mood_key(gid, board_index, image.image)
        async with gate:
            if await ports.blobs.exists(key):
                data = await ports.blobs.get_bytes(key)
                return ArtifactRef.of_bytes(ports.blobs.bucket, key, data, "image/png")
            result = await ports.image.render(ImageRequest(beat=image.beat, style=look_style,
                                                           size=size, seed=image.seed, product=event.plan.product,
                                                           product_image=product))
            try:
                png = await ports.codec.conform(result.png, size)
            except NotAnImage as exc:
                raise PermanentError(f"The image model {result.model} returned something that is not an image.",
                                     detail=str(exc)) from exc
            await ports.docs.record_cost(gid, CostEntry(key=f"moods:{board_index}-{image.image}", stage="planning",
                                                        model=result.model, units=1, usd=result.cost_usd))
            return await ports.blobs.put_bytes(key, png, "image/png")

    records = []
    for index, look in enumerate(looks(event.plan), start=1):
        images = board_images(event.plan, index, event.spec.seed)
        refs = await asyncio.gather(*(one(index, look.style, image) for image in images))
        records.append(MoodBoardRecord(index=index, name=look.name, style=look.style, music=look.music,
                                       images=list(refs)))
    return records
