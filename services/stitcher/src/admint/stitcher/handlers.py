"""Stitcher handler: chunks.completed.v1 → master.mp4 (smart render + music bed) → stitch.completed.v1."""

import asyncio
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admint.contracts.chunks import ChunksCompleted
from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.errors import PermanentError
from admint.core.events import follow
from admint.core.stores import GenerationStore, ObjectStore
from admint.media.audio import render_bed
from admint.providers.ports import MusicModel, MusicRequest
from admint.stitcher.config import StitcherSettings
from admint.stitcher.render import ClipFile, StitchResult, stitch
from admint.stitcher.timeline import TimelineError, beat_targets

log = logging.getLogger(__name__)
PRODUCER = "stitcher"


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    music: MusicModel | None
    settings: StitcherSettings


@dataclass
class Bed:
    path: Path | None = None
    model: str | None = None
    error: str | None = None


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


def _check_chunks(event: ChunksCompleted) -> None:
    """Every beat of the plan has chunks 0..k-1, nothing else."""
    seen: dict[int, list[int]] = {}
    for c in event.chunks:
        seen.setdefault(c.beat_index, []).append(c.chunk_index)
    beats = len(event.plan.beats)
    missing = [b for b in range(beats) if b not in seen]
    extra = [b for b in seen if b >= beats]
    holes = [b for b, idx in seen.items() if sorted(idx) != list(range(len(idx)))]
    if missing or extra or holes:
        raise PermanentError(
            "chunks do not cover the plan",
            detail=f"beats without chunks {missing}, unknown beats {extra}, beats with gaps/duplicates {holes}",
        )


async def _music_bed(event: ChunksCompleted, ports: Ports, duration_s: float, workdir: Path) -> Bed:
    """Compose and mix the bed; any failure leaves the ad silent with the reason (never fails the ad)."""
    if not event.spec.music:
        return Bed()
    if ports.music is None:
        return Bed(error="no music model is configured")
    gid = event.generation_id
    try:
        result = await ports.music.compose(
            MusicRequest(music=event.plan.music, duration_s=duration_s, seed=event.spec.seed, workdir=workdir)
        )
        await ports.docs.record_cost(
            gid, CostEntry(key="music", stage="stitching", model=result.model, units=1, usd=result.cost_usd)
        )
        path = await render_bed(result.path, duration_s, workdir / "bed.m4a", ports.settings.bed())
        return Bed(path=path, model=result.model)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a broken bed must not cost the ad
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        log.warning("delivering without music: %s", reason, extra={"generation_id": gid})
        return Bed(model=getattr(ports.music, "name", None), error=f"music failed: {reason}"[:500])


def _event_from_doc(event: ChunksCompleted, master: dict[str, Any]) -> StitchCompleted:
    from admint.contracts.artifacts import ArtifactRef

    return follow(
        event, StitchCompleted, PRODUCER, spec=event.spec, master=ArtifactRef.model_validate(master["video"]),
        duration_s=master["duration_s"], has_audio=master["has_audio"], music_error=master.get("music_error"),
        music_model=master.get("music_model"),
    )


async def _render(
    event: ChunksCompleted, ports: Ports, workdir: Path, targets: list[int], overlap: int
) -> tuple[StitchResult, Bed]:
    """Download, smart-render and mux, with the music bed made meanwhile (and never left running)."""
    spec, settings = event.spec, ports.settings
    expected = sum(targets) - overlap * (len(targets) - 1)
    bed_task = asyncio.create_task(_music_bed(event, ports, expected / spec.fps, workdir))

    async def bed_path() -> Path | None:
        return (await bed_task).path

    try:
        files = await _download(event, ports, workdir)
        result = await stitch(
            files, targets, overlap, width=spec.size.width, height=spec.size.height, fps=spec.fps,
            out=workdir / "master.mp4", workdir=workdir, music=bed_path,
            transition=settings.xfade_transition, concurrency=settings.encode_concurrency or None,
            max_fit=round(settings.max_fit_s * spec.fps),
        )
    except TimelineError as exc:
        raise PermanentError(f"cannot join the chunks: {exc}") from exc
    finally:
        if not bed_task.done():
            bed_task.cancel()
            await asyncio.gather(bed_task, return_exceptions=True)
    return result, await bed_task


async def handle_chunks_completed(event: ChunksCompleted, ports: Ports) -> list[Event]:
    gid = event.generation_id
    if not await ports.docs.advance(gid, "stitching"):
        log.info("generation %s is past stitching; nothing to do", gid)
        return []
    doc = await ports.docs.get(gid) or {}
    master = doc.get("master")
    if master and master.get("video", {}).get("key") == keys.master_key(gid) and await ports.blobs.exists(
        keys.master_key(gid)
    ):
        return [_event_from_doc(event, master)]  # redelivery after the master was stored

    _check_chunks(event)
    spec, settings = event.spec, ports.settings
    targets, overlap = beat_targets([b.duration_s for b in event.plan.beats], spec.transition.overlap_s, spec.fps)
    expected = sum(targets) - overlap * (len(targets) - 1)
    workdir = Path(settings.workdir) / "stitcher" / gid / f"{event.id}-{uuid.uuid4().hex[:8]}"  # per delivery
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result, bed = await _render(event, ports, workdir, targets, overlap)
        if abs(result.frames - expected) > settings.frame_tolerance:
            raise PermanentError(
                f"master has {result.frames} frames, the plan needs {expected} "
                f"({event.plan.duration_s}s at {spec.fps} fps)"
            )
        ref = await ports.blobs.put_file(keys.master_key(gid), result.path, "video/mp4")
        music_ref = None
        if bed.path is not None:
            music_ref = await ports.blobs.put_file(keys.music_key(gid), bed.path, "audio/mp4")
        fields = {
            "video": ref.model_dump(mode="json"),
            "music": music_ref.model_dump(mode="json") if music_ref else None,
            "duration_s": round(result.frames / spec.fps, 6),
            "frames": result.frames,
            "has_audio": result.has_audio,
            "music_model": bed.model,
            "music_error": bed.error,
            "copied_frames": result.copied_frames,
            "encoded_frames": result.encoded_frames,
            "transition_windows": result.windows,
            "normalised_chunks": result.normalised,
        }
        await ports.docs.advance(gid, "stitching", {"master": fields})
        log.info(
            "master stored: %d frames (%d copied, %d re-encoded in %d windows), audio=%s",
            result.frames, result.copied_frames, result.encoded_frames, result.windows, result.has_audio,
        )
        return [_event_from_doc(event, fields)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
