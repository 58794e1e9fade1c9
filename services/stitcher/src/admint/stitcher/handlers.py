"""Stitcher handler: chunks.completed.v1 → master.mp4 (smart render + music bed) → stitch.completed.v1; for a later
version of the ad, a master that copies the base version's windows and music bed wherever they did not change.

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
from admint.stitcher.ports import (
    ClipFile,
    PlacedWindow,
    RenderJob,
    ReusedWindows,
    StitchEncoder,
    StitchResult,
)
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
    gid, version = event.generation_id, event.ad_version
    if version > 1:
        return await _revise(event, ports)
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


async def _revise(event: ChunksCompleted, ports: Ports) -> list[Event]:
    """The master of a later version: the base version's windows copied where their inputs did not change (only
    the windows beside a changed beat are encoded), its music bed reused as it is, its own key."""
    gid, version = event.generation_id, event.ad_version
    doc = await ports.docs.get(gid)
    section = doc.ad_version(version) if doc is not None else None
    if doc is None or section is None or section.state != "rendering":
        log.info("version %d of %s is not rendering; nothing to stitch", version, gid)
        return []
    if section.master is not None and await _stored(gid, section.master, ports.blobs, version):
        return [_completed(event, section.master)]  # redelivery after the master was stored
    base = doc.master if section.base <= 1 else (doc.ad_version(section.base) or section).master
    plan = plan_master(event, ports.settings.max_fit_s)
    async with scratch_dir(ports.settings.workdir, PRODUCER, gid, event.id) as workdir:
        reuse = await _base_windows(base, ports, workdir)
        base_bed = await _base_bed(base, ports, workdir)
        result, bed = await _render(event, ports, plan, workdir, reuse=reuse, bed=base_bed)
        check_length(result.frames, plan, ports.settings.frame_tolerance, event.plan.duration_s)
        video = await ports.blobs.put_file(keys.master_key(gid, version), result.path, "video/mp4")
        music = base.music if base_bed is not None and base is not None else None
        if base_bed is None and bed.path is not None:
            music = await ports.blobs.put_file(keys.music_key(gid, version), bed.path, "audio/mp4")
        master = master_section(video, music, result, bed, plan.fps)
        if not await ports.docs.record_version_master(gid, version, master):
            log.info("version %d of %s ended while its master was made; not announcing it", version, gid)
            return []
        log.info("version %d master stored: %d windows reused, %d re-encoded frames, audio=%s", version,
                 result.reused_windows, result.encoded_frames, result.has_audio)
        return [_completed(event, master)]


async def _base_windows(base: MasterSection | None, ports: Ports, workdir: Path) -> ReusedWindows | None:
    """The base version's master (downloaded) and where its windows are, when it recorded them."""
    if base is None or not base.windows:
        return None
    path = workdir / "base-master.mp4"
    try:
        await ports.blobs.get_file(base.video.key, path)
    except FileNotFoundError:
        log.warning("the base master %s is gone; every window is encoded again", base.video.key)
        return None
    return ReusedWindows(path, [PlacedWindow(w.fingerprint, w.start, w.frames) for w in base.windows])


async def _base_bed(base: MasterSection | None, ports: Ports, workdir: Path) -> Bed | None:
    """The base version's music bed, as it is (so the new version's audio is the same, sample for sample)."""
    if base is None or base.music is None:
        return None
    path = workdir / "base-bed.m4a"
    try:
        await ports.blobs.get_file(base.music.key, path)
    except FileNotFoundError:
        return None
    return Bed(path=path, model=base.music_model)


async def _stored(gid: str, master: MasterSection, blobs: ObjectStore, version: int = 1) -> bool:
    key = keys.master_key(gid, version)
    return master.video.key == key and await blobs.exists(key)


async def _render(event: ChunksCompleted, ports: Ports, plan: MasterPlan, workdir: Path,
                  reuse: ReusedWindows | None = None, bed: Bed | None = None) -> tuple[StitchResult, Bed]:
    """Download and smart-render, with the music bed made meanwhile (and never left running); a bed given (a
    later version's) is used as it is."""
    if bed is not None:
        async def given() -> Bed:
            return bed
        bed_task = asyncio.create_task(given())
    else:
        bed_task = asyncio.create_task(_music_bed(event, ports, plan.duration_s, workdir))

    async def bed_path() -> Path | None:
        return (await bed_task).path

    size = event.spec.size
    try:
        clips = await _download(event, ports, workdir)
        job = RenderJob(clips, plan.targets, plan.overlap, size.width, size.height, plan.fps,
                        out=workdir / "master.mp4", workdir=workdir, max_fit=plan.max_fit, reuse=reuse)
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

    async def one(beat: int, chunk: int, key: str, sha256: str) -> ClipFile:
        async with gate:
            path = workdir / f"chunk-{beat}-{chunk}.mp4"
            try:
                await ports.blobs.get_file(key, path)
            except FileNotFoundError:
                raise PermanentError(f"chunk {beat}-{chunk} is missing from the object store", detail=key) from None
            return ClipFile(beat, chunk, path, sha256)

    return list(await asyncio.gather(*(one(c.beat_index, c.chunk_index, c.video.key, c.video.sha256)
                                       for c in event.chunks)))


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
