"""Chunker handlers: storyboard → chunk work items (fan-out), one chunk rendered and encoded, fan-in.

- storyboard.completed.v1 → record the chunk plan, request the first chunk of every beat (fanout.py decides).
- chunk.requested.v1 → the video model animates the init frame; the encoder cuts, normalises and captions it
  (work.py decides the job); the chunk and its clean last frame are stored and listed; chunk.completed.v1.
- chunk.completed.v1 → record and count it; request the beat's next chunk from this chunk's last frame
  (continuity); when every chunk is in, chunks.completed.v1 (fanin.py decides).

All three are idempotent under redelivery: deterministic object keys, typed set/add-to-set updates, costs keyed by
chunk, derived events with deterministic Nats-Msg-Ids, and a chunk already stored is announced, not re-rendered.
This module is the I/O around those decisions: the document, the object store, the model and the encoder.
"""

import contextlib
import logging
from pathlib import Path
from typing import Final

from admint.chunker.fanin import fan_in
from admint.chunker.fanout import plan_fan_out
from admint.chunker.ports import EncodedChunk, Ports
from admint.chunker.requests import STAGE
from admint.chunker.work import (
    announce,
    check_length,
    chunk_completed,
    chunk_entry,
    chunk_job,
    cost_key,
    skip_frames,
    video_request,
)
from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import ChunkCompleted, ChunkRequested
from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.stages import PIPELINE
from admint.contracts.storyboard import StoryboardCompleted
from admint.core import keys
from admint.core.document import ChunkingSection, GenerationDoc, chunk_item
from admint.core.errors import PermanentError, TransientError, TransientProviderError
from admint.core.scratch import scratch_dir
from admint.providers.ports import VideoResult

__all__ = ["Ports", "handle_chunk_completed", "handle_chunk_requested", "handle_storyboard_completed"]

log = logging.getLogger(__name__)
STATUS: Final = PIPELINE.status_of_stage[STAGE]


# ---------------------------------------------------------------------------------------------- fan-out


async def handle_storyboard_completed(event: StoryboardCompleted, ports: Ports) -> list[Event]:
    """Record the chunk plan and start every beat. On a redelivery or a retry round it resumes instead: stored
    chunks are counted (even if their fan-in was lost) and reused, each beat continues at its first missing one."""
    gid = event.generation_id
    doc = await ports.docs.get(gid)
    chunking = doc.chunking if doc is not None else ChunkingSection()
    fan_out = plan_fan_out(event, chunking, model=ports.video.name, chunk_duration_s=ports.video.chunk_duration_s)
    if not await ports.docs.start_chunking(gid, fan_out.record):
        log.info("storyboard.completed for a generation past chunking: nothing to do")
        return []
    done = len(chunking.done)
    for entry in fan_out.stored.values():
        done = await ports.docs.chunk_done(gid, entry)
    return fan_out.events(event, done, ports.video.name)


# ------------------------------------------------------------------------------------------------ work


async def handle_chunk_requested(event: ChunkRequested, ports: Ports) -> list[Event]:
    gid, item = event.generation_id, chunk_item(event.beat_index, event.chunk_index)
    doc = await ports.docs.get(gid)  # one read: the status and whether this chunk is stored already
    if doc is not None and doc.status != STATUS:
        log.info("chunk %s requested for a generation past chunking: nothing to do", item)
        return []
    stored = await _already_stored(event, ports, doc)
    if stored is not None:
        return [stored]
    async with scratch_dir(ports.settings.workdir, gid, f"chunk-{item}") as workdir:
        result = await _animate(event, ports, await _init_frame(event, ports), workdir)
        skip = skip_frames(event, result.repeats_init_frame)
        clip = result.frames or result.path  # frames: a local model renders them into the one encode
        check_length(event, await ports.encoder.measure(clip), skip,
                     max_short_s=ports.settings.max_short_s, model=result.model)
        job = chunk_job(event, skip, cta_duration_s=ports.settings.cta_duration_s)
        video, last = await _store(event, ports, await ports.encoder.encode(clip, job, workdir))
    await ports.docs.record_cost(gid, CostEntry(key=cost_key(event), stage=STAGE, model=result.model,
                                                units=event.requested_duration_s, usd=result.cost_usd))
    completed = chunk_completed(event, video, last, result.model, result.cost_usd)
    # Listed at once, so whatever happens next (a cancel, a crash) the document names every stored object.
    await ports.docs.record_chunk(gid, chunk_entry(completed))
    return [completed]


async def _already_stored(event: ChunkRequested, ports: Ports, doc: GenerationDoc | None) -> ChunkCompleted | None:
    """A redelivered request (or a retry round) whose chunk is stored already: announce it again instead of
    paying for a second render. The document entry is written once both objects are stored; without it, the
    objects themselves count (the last frame is stored before the video, so a stored video implies both)."""
    gid, b, c = event.generation_id, event.beat_index, event.chunk_index
    entry = doc.chunking.chunks.get(chunk_item(b, c)) if doc is not None else None
    if entry is not None:
        log.info("chunk %s is already stored: re-announcing it", entry.item)
        return announce(event, entry)
    video_key, last_key = keys.chunk_key(gid, b, c), keys.last_frame_key(gid, b, c)
    if not (await ports.blobs.exists(video_key) and await ports.blobs.exists(last_key)):
        return None
    video = ArtifactRef.of_bytes(ports.blobs.bucket, video_key, await ports.blobs.get_bytes(video_key), "video/mp4")
    last = ArtifactRef.of_bytes(ports.blobs.bucket, last_key, await ports.blobs.get_bytes(last_key), "image/png")
    cost = doc.costs.get(cost_key(event)) if doc is not None else None
    log.info("chunk %s is already stored: re-announcing it", chunk_item(b, c))
    return chunk_completed(event, video, last, (cost.model if cost else "") or ports.video.name,
                           cost.usd if cost else 0.0)


async def _init_frame(event: ChunkRequested, ports: Ports) -> bytes:
    try:
        return await ports.blobs.get_bytes(event.init_frame.key)
    except FileNotFoundError:
        raise PermanentError(f"the init frame of chunk {chunk_item(event.beat_index, event.chunk_index)} is "
                             "missing", detail=event.init_frame.key) from None


async def _animate(event: ChunkRequested, ports: Ports, init_png: bytes, workdir: Path) -> VideoResult:
    where = f"beat {event.beat_index} chunk {event.chunk_index}"
    try:
        async with ports.video_slots or contextlib.nullcontext():
            return await ports.video.animate(video_request(event, init_png, workdir))
    except PermanentError as exc:
        raise PermanentError(f"video model {ports.video.name} failed on {where}: {exc.reason}",
                             detail=exc.detail, retryable=exc.retryable) from exc
    except TransientError as exc:
        raise TransientProviderError(f"video model {ports.video.name} failed on {where}: {exc}") from exc


async def _store(event: ChunkRequested, ports: Ports, encoded: EncodedChunk) -> tuple[ArtifactRef, ArtifactRef]:
    """The last frame first, then the video: a stored video implies a stored last frame."""
    gid, b, c = event.generation_id, event.beat_index, event.chunk_index
    last = await ports.blobs.put_file(keys.last_frame_key(gid, b, c), encoded.last_frame, "image/png")
    video = await ports.blobs.put_file(keys.chunk_key(gid, b, c), encoded.video, "video/mp4")
    return video, last


# ----------------------------------------------------------------------------------------------- fan-in


async def handle_chunk_completed(event: ChunkCompleted, ports: Ports) -> list[Event]:
    """Record the chunk and count it in one atomic update, then continue its beat / end the stage."""
    gid, item = event.generation_id, chunk_item(event.beat_index, event.chunk_index)
    done = await ports.docs.chunk_done(gid, chunk_entry(event))
    doc = await ports.docs.get(gid)
    if doc is None or doc.chunking.planned is None:
        raise PermanentError(f"chunk {item} completed, but the generation has no chunk plan")
    if doc.status != STATUS:
        log.info("chunk %s completed after the generation left chunking: nothing more to do", item)
        return []
    return fan_in(event, doc, done)
