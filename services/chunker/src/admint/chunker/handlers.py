"""Chunker handlers: storyboard → chunk work items (fan-out), one chunk rendered and normalised, fan-in.

- storyboard.completed.v1 → plan every beat's chunks, record the counts, request the first chunk of every beat.
- chunk.requested.v1 → video model animates the init frame; one encode normalises, cuts and captions it; the
  chunk and its clean last frame are stored; chunk.completed.v1.
- chunk.completed.v1 → record it; request the beat's next chunk from this chunk's last frame (continuity);
  when every chunk is in, chunks.completed.v1.

All three are idempotent under redelivery: deterministic object keys, $set/$addToSet updates, costs keyed by
chunk, derived events with deterministic Nats-Msg-Ids, and a chunk already stored is announced, not re-rendered.
"""

import asyncio
import contextlib
import hashlib
import logging
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from admint.chunker.config import ChunkerSettings
from admint.chunker.planning import chunk_item, total_chunks
from admint.chunker.requests import PRODUCER, beat_plan, chunk_request
from admint.chunker.timeline import BeatLayout, overlay_windows, transition_keyframes, windows_in_chunk
from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import ChunkCompleted, ChunkRef, ChunkRequested, ChunksCompleted
from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationSpec, StageProgress
from admint.contracts.plan import Plan
from admint.contracts.storyboard import StoryboardCompleted
from admint.core import keys
from admint.core.errors import PermanentError, TransientError, TransientProviderError
from admint.core.events import follow
from admint.core.stores import GenerationStore, ObjectStore
from admint.media.captions import render_caption, render_cta
from admint.media.normalise import NormaliseJob, Overlay, normalise
from admint.media.probe import probe
from admint.providers.ports import VideoModel, VideoRequest, VideoResult

log = logging.getLogger(__name__)
STAGE: Final = "chunking"


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    video: VideoModel
    settings: ChunkerSettings
    video_slots: asyncio.Semaphore | None = None
    """Calls to the video model this process makes at once (the registry's concurrency limit)."""


# ---------------------------------------------------------------------------------------------- fan-out


async def handle_storyboard_completed(event: StoryboardCompleted, ports: Ports) -> list[Event]:
    """Plan the chunks and start every beat. On a redelivery or a retry round it resumes instead: each beat
    continues at its first chunk not yet stored, from the last frame of the one before, and a generation
    whose chunks are all stored goes straight to chunks.completed."""
    gid = event.generation_id
    frames = {f.beat_index: f.image for f in event.frames}
    missing = [b.index for b in event.plan.beats if b.index not in frames]
    if missing:
        raise PermanentError(f"the storyboard has no frame for beat(s) {missing}")
    doc = await ports.docs.get(gid) or {}
    planned = doc.get("chunking") or {}
    # A redelivery keeps the chunk length it planned with, even if this replica's model differs.
    chunk_duration_s = float(planned.get("chunk_duration_s") or ports.video.chunk_duration_s)
    beats = [beat_plan(event.plan, event.spec, b.index, chunk_duration_s) for b in event.plan.beats]
    total = total_chunks(beats)
    expected = {str(chunks[0].beat_index): len(chunks) for chunks in beats}
    fields = {
        "chunking.model": planned.get("model") or ports.video.name,
        "chunking.chunk_duration_s": chunk_duration_s,
        "chunking.total": total,
        "chunking.beats": expected,
        "chunking.spec": event.spec.model_dump(mode="json"),
        "chunking.plan": event.plan.model_dump(mode="json"),
    }
    if not await ports.docs.advance(gid, "chunking", fields):
        log.info("storyboard.completed for a generation past chunking: nothing to do")
        return []
    stored: dict[str, Any] = doc.get("chunks") or {}
    done = len(planned.get("done") or [])
    for item in stored:
        done = await ports.docs.add_to_set(gid, "chunking.done", item)  # counted even if its fan-in was lost
    out: list[Event] = [follow(
        event, StageProgress, PRODUCER, stage=STAGE, done=done, total=total, item="planned",
        message=f"{total} chunks for {len(beats)} beats ({ports.video.name}, {chunk_duration_s:g} s per chunk)",
    )]
    for chunks in beats:
        pending = next((c for c in chunks if c.item not in stored), None)
        if pending is None:
            continue
        init = (frames[pending.beat_index] if pending.chunk_index == 0
                else ArtifactRef(**stored[chunk_item(pending.beat_index, pending.chunk_index - 1)]["last_frame"]))
        out.append(chunk_request(event, event.spec, event.plan, pending, init))
    if all(c.item in stored for chunks in beats for c in chunks):
        out.append(follow(event, ChunksCompleted, PRODUCER, spec=event.spec, plan=event.plan,
                          chunks=_chunk_refs(stored, expected)))
    return out


# ------------------------------------------------------------------------------------------------ work


@contextlib.asynccontextmanager
async def _scratch(ports: Ports, gid: str, item: str) -> AsyncIterator[Path]:
    """A private work directory per attempt (two deliveries of one chunk on one host never share files)."""
    path = Path(ports.settings.workdir) / gid / f"chunk-{item}-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(path.mkdir, parents=True, exist_ok=True)
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)


def _ref(blobs: ObjectStore, key: str, data: bytes, content_type: str) -> ArtifactRef:
    return ArtifactRef(bucket=blobs.bucket, key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                       content_type=content_type)


async def _already_stored(event: ChunkRequested, ports: Ports) -> ChunkCompleted | None:
    """A redelivered request (or a retry round) whose chunk is stored already: announce it again instead of
    paying for a second render. The document entry is written once both objects are stored; without it, the
    objects themselves count (the last frame is stored before the video, so a stored video implies both)."""
    gid, b, c = event.generation_id, event.beat_index, event.chunk_index
    item = chunk_item(b, c)
    doc = await ports.docs.get(gid) or {}
    entry = (doc.get("chunks") or {}).get(item)
    if entry is not None:
        log.info("chunk %s is already stored: re-announcing it", item)
        return _completed(event, ArtifactRef(**entry["video"]), ArtifactRef(**entry["last_frame"]),
                          str(entry.get("model") or ports.video.name), float(entry.get("cost_usd") or 0.0))
    video_key, last_key = keys.chunk_key(gid, b, c), keys.last_frame_key(gid, b, c)
    if not (await ports.blobs.exists(video_key) and await ports.blobs.exists(last_key)):
        return None
    video = _ref(ports.blobs, video_key, await ports.blobs.get_bytes(video_key), "video/mp4")
    last = _ref(ports.blobs, last_key, await ports.blobs.get_bytes(last_key), "image/png")
    cost = (doc.get("costs") or {}).get(f"chunk:{item}") or {}
    log.info("chunk %s is already stored: re-announcing it", item)
    return _completed(event, video, last, str(cost.get("model") or ports.video.name), float(cost.get("usd") or 0))


def _chunk_entry(event: ChunkCompleted) -> dict[str, Any]:
    """The document's record of one stored chunk (chunks.<beat>-<chunk>)."""
    return {
        "beat_index": event.beat_index, "chunk_index": event.chunk_index, "chunk_count": event.chunk_count,
        "video": event.video.model_dump(), "last_frame": event.last_frame.model_dump(),
        "duration_s": event.actual_duration_s, "requested_duration_s": event.requested_duration_s,
        "model": event.model, "cost_usd": event.cost_usd,
    }


def _completed(event: ChunkRequested, video: ArtifactRef, last: ArtifactRef, model: str, cost: float
               ) -> ChunkCompleted:
    fps = event.spec.fps
    return follow(
        event, ChunkCompleted, PRODUCER,
        beat_index=event.beat_index, chunk_index=event.chunk_index, chunk_count=event.chunk_count,
        video=video, last_frame=last, requested_duration_s=event.requested_duration_s,
        actual_duration_s=round(event.needed_duration_s * fps) / fps, model=model, cost_usd=cost,
    )


async def _animate(event: ChunkRequested, ports: Ports, init_png: bytes, workdir: Path) -> VideoResult:
    spec = event.spec
    request = VideoRequest(
        init_frame_png=init_png, prompt=event.prompt, camera_movement=event.camera_movement,
        duration_s=event.requested_duration_s, size=spec.size, fps=spec.fps,
        seed=spec.seed, energy=event.energy, beat_offset_s=event.beat_offset_s, beat_length_s=event.beat_length_s,
        workdir=workdir, needed_duration_s=event.needed_duration_s, beat_index=event.beat_index,
    )
    where = f"beat {event.beat_index} chunk {event.chunk_index}"
    try:
        async with ports.video_slots or contextlib.nullcontext():
            return await ports.video.animate(request)
    except PermanentError as exc:
        raise PermanentError(f"video model {ports.video.name} failed on {where}: {exc.reason}",
                             detail=exc.detail, retryable=exc.retryable) from exc
    except TransientError as exc:
        raise TransientProviderError(f"video model {ports.video.name} failed on {where}: {exc}") from exc


async def _overlays(event: ChunkRequested, ports: Ports, layout: BeatLayout, workdir: Path) -> list[Overlay]:
    """Caption/CTA windows this chunk covers, rendered to PNGs (identical in every chunk of the beat)."""
    w, h = event.spec.size.width, event.spec.size.height
    windows = overlay_windows(layout, event.caption, event.call_to_action,
                              cta_duration_s=ports.settings.cta_duration_s)
    out: list[Overlay] = []
    for i, window in enumerate(windows_in_chunk(windows, event.beat_offset_s, event.needed_duration_s)):
        placed = (render_caption if window.kind == "caption" else render_cta)(window.text, w, h)
        path = workdir / f"overlay-{i}-{window.kind}.png"
        await asyncio.to_thread(path.write_bytes, placed.png)
        out.append(Overlay(path, placed.x, placed.y, window.start_s, window.end_s, window.fade_in_s,
                           window.fade_out_s))
    return out


async def _check_length(event: ChunkRequested, ports: Ports, result: VideoResult, skip: int) -> None:
    info = await probe(result.path)
    fps = info.fps or event.spec.fps
    available = (info.frames - skip) / fps if info.frames else info.duration_s
    if available < event.needed_duration_s - ports.settings.max_short_s:
        raise TransientProviderError(
            f"video model {result.model} returned {available:.2f}s for beat {event.beat_index} chunk "
            f"{event.chunk_index}, which needs {event.needed_duration_s:.2f}s"
        )


async def handle_chunk_requested(event: ChunkRequested, ports: Ports) -> list[Event]:
    gid, b, c = event.generation_id, event.beat_index, event.chunk_index
    item = chunk_item(b, c)
    if await ports.docs.status(gid) not in ("chunking", None):
        log.info("chunk %s requested for a generation past chunking: nothing to do", item)
        return []
    stored = await _already_stored(event, ports)
    if stored is not None:
        return [stored]
    spec = event.spec
    fps, frames = spec.fps, round(event.needed_duration_s * spec.fps)
    layout = BeatLayout(b, event.beat_length_s, spec.transition.overlap_s, is_last=bool(event.call_to_action))
    async with _scratch(ports, gid, item) as workdir:
        try:
            init_png = await ports.blobs.get_bytes(event.init_frame.key)
        except FileNotFoundError:
            raise PermanentError(f"the init frame of chunk {item} is missing", detail=event.init_frame.key) from None
        result = await _animate(event, ports, init_png, workdir)
        skip = 1 if c > 0 and result.repeats_init_frame else 0
        await _check_length(event, ports, result, skip)
        job = NormaliseJob(
            source=result.path, output=workdir / "chunk.mp4", width=spec.size.width, height=spec.size.height,
            fps=fps, frames=frames, last_frame_png=workdir / "last.png", skip_frames=skip,
            overlays=await _overlays(event, ports, layout, workdir), timeline_offset_s=event.beat_offset_s,
            keyframes=transition_keyframes(layout, fps=fps, offset_frames=round(event.beat_offset_s * fps),
                                           frames=frames),
        )
        await normalise(job, timeout_s=ports.settings.encode_timeout_s)
        last = await ports.blobs.put_file(keys.last_frame_key(gid, b, c), workdir / "last.png", "image/png")
        video = await ports.blobs.put_file(keys.chunk_key(gid, b, c), job.output, "video/mp4")
    await ports.docs.record_cost(gid, CostEntry(key=f"chunk:{item}", stage=STAGE, model=result.model,
                                                units=event.requested_duration_s, usd=result.cost_usd))
    completed = _completed(event, video, last, result.model, result.cost_usd)
    # Listed at once, so whatever happens next (a cancel, a crash) the document names every stored object.
    await ports.docs.set_fields(gid, {f"chunks.{item}": _chunk_entry(completed)})
    return [completed]


# ----------------------------------------------------------------------------------------------- fan-in


def _chunk_refs(stored: dict[str, Any], expected: dict[str, int]) -> list[ChunkRef]:
    """Every stored chunk in (beat, chunk) order; checks none is missing."""
    refs: list[ChunkRef] = []
    for beat in sorted(expected, key=int):
        for chunk in range(int(expected[beat])):
            entry = stored.get(chunk_item(int(beat), chunk))
            if entry is None:
                raise TransientError(f"chunk {beat}-{chunk} is counted as done but not yet in the document")
            refs.append(ChunkRef(beat_index=int(beat), chunk_index=chunk, video=ArtifactRef(**entry["video"]),
                                 duration_s=float(entry["duration_s"])))
    return refs


async def handle_chunk_completed(event: ChunkCompleted, ports: Ports) -> list[Event]:
    gid, b, c = event.generation_id, event.beat_index, event.chunk_index
    item = chunk_item(b, c)
    await ports.docs.set_fields(gid, {f"chunks.{item}": _chunk_entry(event)})
    done = await ports.docs.add_to_set(gid, "chunking.done", item)
    doc = await ports.docs.get(gid) or {}
    chunking = doc.get("chunking") or {}
    if "total" not in chunking:
        raise PermanentError(f"chunk {item} completed, but the generation has no chunk plan")
    if doc.get("status") != "chunking":
        log.info("chunk %s completed after the generation left chunking: nothing more to do", item)
        return []
    total = int(chunking["total"])
    spec = GenerationSpec.model_validate(chunking["spec"])
    plan = Plan.model_validate(chunking["plan"])
    out: list[Event] = [follow(
        event, StageProgress, PRODUCER, stage=STAGE, done=done, total=total, item=item,
        message=f"beat {b}: chunk {c + 1}/{event.chunk_count} stored",
    )]
    if c + 1 < event.chunk_count:
        following = beat_plan(plan, spec, b, float(chunking["chunk_duration_s"]))[c + 1]
        out.append(chunk_request(event, spec, plan, following, init_frame=event.last_frame))
    if done >= total:
        refs = _chunk_refs(doc.get("chunks") or {}, chunking["beats"])
        out.append(follow(event, ChunksCompleted, PRODUCER, spec=spec, plan=plan, chunks=refs))
    return out
