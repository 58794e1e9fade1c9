"""Stitcher handler: chunks.completed.v1 → master.mp4 (smart render + music bed) → stitch.completed.v1.

The frame budget is decided in master.py, the media work is the encoder port's; this module moves the files
(chunks down, master and bed up), runs the bed beside the render, and records the master section.
"""

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from admint.contracts.chunks import ChunksCompleted
from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.budget import BudgetExceeded, ensure_budget
from admint.core.document import MasterSection
from admint.core.errors import PermanentError, TransientError
from admint.core.events import follow
from admint.core.scratch import scratch_dir
from admint.core.stores import GenerationStore, ObjectStore
from admint.providers.ports import MusicModel, MusicRequest
from admint.providers.pricing import call_price
from admint.providers.registry import load_registry
from admint.stitcher.config import StitcherSettings
from admint.stitcher.master import Bed, MasterPlan, check_length, master_section, plan_master
from admint.stitcher.ports import ClipFile, RenderJob, StitchEncoder, StitchResult
from admint.stitcher.timeline import TimelineError

log = logging.getLogger(__name__)
PRODUCER = "stitcher"


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    music: MusicModel | None
    encoder: StitchEncoder
    settings: StitcherSettings


async def handle_chunks_completed(event: ChunksCompleted, ports: Ports) -> list[Event]:
    gid = event.generation_id
    if not await ports.docs.enter(gid, "stitching"):
        log.info("generation %s is past stitching; nothing to do", gid)
        return []
    doc = await ports.docs.get(gid)
    if doc is not None and doc.master is not None and await _stored(gid, doc.master, ports.blobs):
        return [_completed(event, doc.master)]  # redelivery after the master was stored

    plan = plan_master(event, ports.settings.max_fit_s)
    async with scratch_dir(ports.settings.workdir, PRODUCER, gid, event.id) as workdir:
        result, bed = await _render(event, ports, plan, workdir)
        check_length(result.frames, plan, ports.settings.frame_tolerance, event.plan.duration_s)
        master = await _store(gid, ports, result, bed, plan.fps)
        if master is None:
            log.info("generation %s left stitching while its master was made; not announcing it", gid)
            return []
        log.info(
            "master stored: %d frames (%d copied, %d re-encoded in %d windows), audio=%s",
            result.frames, result.copied_frames, result.encoded_frames, result.windows, result.has_audio,
        )
        return [_completed(event, master)]


async def _stored(gid: str, master: MasterSection, blobs: ObjectStore) -> bool:
    return master.video.key == keys.master_key(gid) and await blobs.exists(keys.master_key(gid))


async def _render(event: ChunksCompleted, ports: Ports, plan: MasterPlan, workdir: Path) -> tuple[StitchResult, Bed]:
    """Download and smart-render, with the music bed made meanwhile (and never left running)."""
    bed_task = asyncio.create_task(_music_bed(event, ports, plan.duration_s, workdir))

    async def bed_path() -> Path | None:
        return (await bed_task).path

    size = event.spec.size
    try:
        clips = await _download(event, ports, workdir)
        job = RenderJob(clips, plan.targets, plan.overlap, size.width, size.height, plan.fps,
                        out=workdir / "master.mp4", workdir=workdir, max_fit=plan.max_fit)
        result = await ports.encoder.render(job, music=bed_path)
    except TimelineError as exc:
        raise PermanentError(f"cannot join the chunks: {exc}") from exc
    finally:
        if not bed_task.done():
            bed_task.cancel()
            await asyncio.gather(bed_task, return_exceptions=True)
    return result, await bed_task


async def _download(event: ChunksCompleted, ports: Ports, workdir: Path) -> list[ClipFile]:
    gate = asyncio.Semaphore(ports.settings.download_concurrency)

    async def one(beat: int, chunk: int, key: str) -> ClipFile:
        async with gate:
            path = workdir / f"chunk-{beat}-{chunk}.mp4"
            try:
                await ports.blobs.get_file(key, path)
            except FileNotFoundError:
                raise PermanentError(f"chunk {beat}-{chunk} is missing from the object store", detail=key) from None
            return ClipFile(beat, chunk, path)

    return list(await asyncio.gather(*(one(c.beat_index, c.chunk_index, c.video.key) for c in event.chunks)))


async def _music_bed(event: ChunksCompleted, ports: Ports, duration_s: float, workdir: Path) -> Bed:
    """Compose and mix the bed. A music model that refuses or breaks, or a bed that cannot be made, leaves the ad
    silent with the reason (the music never fails the ad); anything transient — the model busy, a store
    restarting — is raised, so the stitch is retried and the ad keeps its music."""
    if not event.spec.music:
        return Bed()
    if ports.music is None:
        return Bed(error="no music model is configured")
    gid = event.generation_id
    try:  # over max_cost_usd the bed is skipped with the reason (the ad is nearly done: it is not failed for it)
        await ensure_budget(ports.docs, gid, key="music", what="the music bed",
                            next_usd=call_price(ports.music.name, 1, load_registry()))
    except BudgetExceeded as exc:
        log.warning("delivering without music: %s", exc.reason, extra={"generation_id": gid})
        return Bed(model=ports.music.name, error=f"music failed: {exc.reason}"[:500])
    result, bed = None, None
    try:
        result = await ports.music.compose(
            MusicRequest(music=event.plan.music, duration_s=duration_s, seed=event.spec.seed, workdir=workdir)
        )
        bed = Bed(path=await ports.encoder.music_bed(result.path, duration_s, workdir / "bed.m4a"), model=result.model)
    except TransientError:
        raise
    except Exception as exc:  # a broken bed must not cost the ad
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        log.warning("delivering without music: %s", reason, extra={"generation_id": gid})
        bed = Bed(model=getattr(ports.music, "name", None), error=f"music failed: {reason}"[:500])
    if result is not None:  # outside the catch: a document store that is away retries the stitch
        await ports.docs.record_cost(
            gid, CostEntry(key="music", stage="stitching", model=result.model, units=1, usd=result.cost_usd)
        )
    return bed


async def _store(gid: str, ports: Ports, result: StitchResult, bed: Bed, fps: int) -> MasterSection | None:
    """Upload the master (and the bed on its own), then record the master section; None when the generation was
    cancelled or failed meanwhile (the objects stay listed, nothing is announced)."""
    video = await ports.blobs.put_file(keys.master_key(gid), result.path, "video/mp4")
    music = None
    if bed.path is not None:
        music = await ports.blobs.put_file(keys.music_key(gid), bed.path, "audio/mp4")
    master = master_section(video, music, result, bed, fps)
    return master if await ports.docs.record_master(gid, master) else None


def _completed(event: ChunksCompleted, master: MasterSection) -> StitchCompleted:
    return follow(
        event, StitchCompleted, PRODUCER, spec=event.spec, master=master.video, duration_s=master.duration_s,
        has_audio=master.has_audio, music_error=master.music_error, music_model=master.music_model,
    )
