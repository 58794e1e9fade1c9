"""Chunker handlers: storyboard → chunk work items (fan-out), one chunk rendered and encoded, fan-in.

- storyboard.completed.v1 → record the chunk plan, request the first chunk of every beat (fanout.py decides).
- chunk.requested.v1 → the video model animates the init frame; the encoder cuts, normalises and captions it
  (work.py decides the job); the chunk and its clean last frame are stored and listed; chunk.completed.v1.
- chunk.completed.v1 → record and count it; request the beat's next chunk from this chunk's last frame
  (continuity); when every chunk is in, chunks.completed.v1 (fanin.py decides).
- quality.scored.v1 → only with a quality threshold on the request: a chunk take counts once its score lets it
  through; below the threshold the chunk is rendered again with a new seed (quality_gate.py decides), and the kept
  take goes through the fan-in above.

All three are idempotent under redelivery: deterministic object keys, typed set/add-to-set updates, costs keyed by
chunk, derived events with deterministic Nats-Msg-Ids, and a chunk already stored is announced, not re-rendered.
This module is the I/O around those decisions: the document, the object store, the model and the encoder.
"""

import contextlib
import logging
from pathlib import Path
from typing import Final

from admint.chunker import cards
from admint.chunker.fanin import fan_in
from admint.chunker.fanout import plan_fan_out
from admint.chunker.ports import EncodedChunk, Ports
from admint.chunker.quality_gate import decide
from admint.chunker.requests import PRODUCER, STAGE, beat_plan, chunk_request
from admint.chunker.scheduling import chain_left_s
from admint.chunker.work import (
    announce,
    caption_shown,
    check_length,
    chunk_completed,
    chunk_entry,
    chunk_job,
    cost_key,
    skip_frames,
    video_request,
)
from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import CaptionShown, ChunkCompleted, ChunkRequested
from admint.contracts.common import CostEntry
from admint.contracts.envelope import Event
from admint.contracts.generation import StageProgress
from admint.contracts.quality import QualityScored
from admint.contracts.stages import PIPELINE
from admint.contracts.storyboard import StoryboardCompleted
from admint.core import keys
from admint.core.budget import ensure_budget_of
from admint.core.document import ChunkEntry, ChunkingSection, ChunkPlanRecord, GenerationDoc, chunk_item
from admint.core.errors import PermanentError, TransientError, TransientProviderError
from admint.core.events import follow
from admint.core.scratch import scratch_dir
from admint.providers.ports import VideoResult
from admint.providers.pricing import call_price
from admint.providers.registry import load_registry

__all__ = ["Ports", "handle_chunk_completed", "handle_chunk_requested", "handle_quality_scored",
           "handle_storyboard_completed"]

log = logging.getLogger(__name__)
STATUS: Final = PIPELINE.status_of_stage[STAGE]


# ---------------------------------------------------------------------------------------------- fan-out


async def handle_storyboard_completed(event: StoryboardCompleted, ports: Ports) -> list[Event]:
    """Record the chunk plan and start every beat. On a redelivery or a retry round it resumes instead: stored
    chunks are counted (even if their fan-in was lost) and reused, each beat continues at its first missing one."""
    gid, version = event.generation_id, event.ad_version
    doc = await ports.docs.get(gid)
    chunking = doc.chunking_of(version) if doc is not None else ChunkingSection()
    model, duration = ports.video.name, ports.video.chunk_duration_s
    base = _base_chunking(doc, version)
    if base is not None:  # a later version keeps its base's chunk length, so its reused beats fit its plan
        model, duration = base.model, base.chunk_duration_s
    fan_out = plan_fan_out(event, chunking, model=model, chunk_duration_s=duration)
    if not await ports.docs.start_chunking(gid, fan_out.record, version):
        log.info("storyboard.completed for a generation (or version) past chunking: nothing to do")
        return []
    done = len(chunking.done)
    for entry in fan_out.stored.values():
        done, _ = await ports.docs.chunk_done(gid, entry, version)
    out = fan_out.events(event, done, ports.video.name, cards.video_seeds(doc, version))
    return out + await cards.moved(event, doc, [s.chunk.beat_index for s in fan_out.starts], "rendering",
                                   ports.docs)


def _base_chunking(doc: GenerationDoc | None, version: int) -> ChunkPlanRecord | None:
    section = doc.ad_version(version) if doc is not None and version > 1 else None
    return doc.chunking_of(section.base).planned if doc is not None and section is not None else None


async def _wanted(event: ChunkRequested | ChunkCompleted, ports: Ports) -> bool:
    """Whether work for this chunk is still wanted: its generation is chunking (version 1), or its version is
    still rendering (a later version)."""
    if event.ad_version > 1:
        return _wanted_in(await ports.docs.get(event.generation_id), event)
    return await ports.docs.status(event.generation_id) in (STATUS, None)


def _wanted_in(doc: GenerationDoc | None, event: ChunkRequested | ChunkCompleted) -> bool:
    """_wanted, from a document already read."""
    if event.ad_version > 1:
        section = doc.ad_version(event.ad_version) if doc is not None else None
        return section is not None and section.state == "rendering"
    return doc is None or doc.status == STATUS


# ------------------------------------------------------------------------------------------------ work


async def handle_chunk_requested(event: ChunkRequested, ports: Ports) -> list[Event]:
    gid, item = event.generation_id, chunk_item(event.beat_index, event.chunk_index)
    doc = await ports.docs.get(gid)  # one read: whether it is still wanted, whether it is stored already, the budget
    if not _wanted_in(doc, event):
        log.info("chunk %s requested for a generation (or version) past chunking: nothing to do", item)
        return []
    stored = await _already_stored(event, ports, doc)
    if stored is not None:
        return [stored]
    # the budget from the document read above (a call allowed is reserved at once: calls under way count)
    await ensure_budget_of(ports.docs, doc, key=cost_key(event), what=f"chunk {item}",
                           next_usd=call_price(ports.video.name, event.requested_duration_s, load_registry()))
    async with scratch_dir(ports.settings.workdir, gid, f"chunk-{item}-v{event.ad_version}-t{event.take}") as workdir:
        result = await _animate(event, ports, await _init_frame(event, ports), workdir)
        skip = skip_frames(event, result.repeats_init_frame)
        clip = result.frames or result.path  # frames: a local model renders them into the one encode
        check_length(event, await ports.encoder.measure(clip), skip,
                     max_short_s=ports.settings.max_short_s, model=result.model)
        job = chunk_job(event, skip, cta_duration_s=ports.settings.cta_duration_s)
        async with ports.encode_slots.hold(chain_left_s(event)) if ports.encode_slots else contextlib.nullcontext():
            encoded = await ports.encoder.encode(clip, job, workdir)  # the CPU-bound part: longest chain first
        video, last = await _store(event, ports, encoded)
    await ports.docs.record_cost(gid, CostEntry(key=cost_key(event), stage=STAGE, model=result.model,
                                                units=event.requested_duration_s, usd=result.cost_usd))
    completed = chunk_completed(event, video, last, result.model, result.cost_usd, _caption(event, ports))
    # Listed at once, so whatever happens next (a cancel, a crash) the document names every stored object; a
    # take under a quality gate is listed as a take (the gate lists the kept one as the chunk).
    if _gated(event, event.spec.quality_threshold):
        await ports.docs.record_take(gid, chunk_entry(completed))
    else:
        await ports.docs.record_chunk(gid, chunk_entry(completed), event.ad_version)
    return [completed]


def _caption(event: ChunkRequested, ports: Ports) -> CaptionShown | None:
    return caption_shown(event, cta_duration_s=ports.settings.cta_duration_s)


async def _already_stored(event: ChunkRequested, ports: Ports, doc: GenerationDoc | None) -> ChunkCompleted | None:
    """A redelivered request (or a retry round) whose chunk is stored already: announce it again instead of
    paying for a second render. The document entry is written once both objects are stored; without it, the
    objects themselves count (the last frame is stored before the video, so a stored video implies both)."""
    gid, b, c, v, take = event.generation_id, event.beat_index, event.chunk_index, event.ad_version, event.take
    entry = _stored_take(doc, v, chunk_item(b, c), take) if doc is not None else None
    if entry is not None and entry.video.key == keys.chunk_key(gid, b, c, version=v, take=take):
        log.info("chunk %s take %d is already stored: re-announcing it", entry.item, take)
        return announce(event, entry, _caption(event, ports))
    video_key = keys.chunk_key(gid, b, c, version=v, take=take)
    last_key = keys.last_frame_key(gid, b, c, version=v, take=take)
    if not (await ports.blobs.exists(video_key) and await ports.blobs.exists(last_key)):
        return None
    video = ArtifactRef.of_bytes(ports.blobs.bucket, video_key, await ports.blobs.get_bytes(video_key), "video/mp4")
    last = ArtifactRef.of_bytes(ports.blobs.bucket, last_key, await ports.blobs.get_bytes(last_key), "image/png")
    cost = doc.costs.get(cost_key(event)) if doc is not None else None
    log.info("chunk %s take %d is stored: re-announcing it", chunk_item(b, c), take)
    return chunk_completed(event, video, last, (cost.model if cost else "") or ports.video.name,
                           cost.usd if cost else 0.0, _caption(event, ports))


def _stored_take(doc: GenerationDoc, version: int, item: str, take: int) -> ChunkEntry | None:
    """The listed take (a kept chunk is listed as the chunk; under a gate every take is listed as a take)."""
    chunking = doc.chunking_of(version)
    kept = chunking.chunks.get(item)
    if kept is not None and kept.take == take:
        return kept
    return chunking.take(item, take)


def _gated(event: ChunkRequested | ChunkCompleted, threshold: float | None) -> bool:
    """Whether a chunk waits for its score before it counts: a quality threshold was asked for, and it belongs
    to the ad's first version (a later version re-renders what its owner asked for; it is scored, not gated)."""
    return threshold is not None and event.ad_version == 1


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
    gid, b, c, v, take = event.generation_id, event.beat_index, event.chunk_index, event.ad_version, event.take
    last = await ports.blobs.put_file(keys.last_frame_key(gid, b, c, version=v, take=take), encoded.last_frame,
                                      "image/png")
    video = await ports.blobs.put_file(keys.chunk_key(gid, b, c, version=v, take=take), encoded.video, "video/mp4")
    return video, last


# ----------------------------------------------------------------------------------------------- fan-in


async def handle_chunk_completed(event: ChunkCompleted, ports: Ports) -> list[Event]:
    """Record the chunk and count it in one atomic update, then continue its beat / end the stage. Under a
    quality gate the take is only listed: its score decides (handle_quality_scored)."""
    gid, item, version = event.generation_id, chunk_item(event.beat_index, event.chunk_index), event.ad_version
    if version == 1 and _gated(event, await ports.thresholds.of(gid)):
        await ports.docs.record_take(gid, chunk_entry(event))
        return []
    done, doc = await ports.docs.chunk_done(gid, chunk_entry(event), version)
    if doc.chunking_of(version).planned is None:
        raise PermanentError(f"chunk {item} completed, but the generation has no chunk plan")
    still = await _wanted(event, ports) if version > 1 else doc.status == STATUS
    if not still:
        log.info("chunk %s completed after the generation (or version) left chunking: nothing more to do", item)
        return []
    out = fan_in(event, doc, done, cards.video_seed(doc, version, event.beat_index))
    if event.chunk_index + 1 == event.chunk_count:
        out += await cards.moved(event, doc, [event.beat_index], "video_ready", ports.docs)
    return out


# ------------------------------------------------------------------------------------------ quality gate


async def handle_quality_scored(event: QualityScored, ports: Ports) -> list[Event]:
    """A chunk take's score under a quality gate: keep it (and go on as the fan-in does) or render it again."""
    gid = event.generation_id
    if event.kind != "chunk" or event.ad_version > 1:  # the gate judges the first version's chunks
        return []
    threshold = await ports.thresholds.of(gid)
    if threshold is None:  # no gate: the score is only recorded (by the scorer)
        return []
    doc = await ports.docs.get(gid)
    if doc is None or doc.status != STATUS:
        return []
    if doc.plan is None or doc.chunking.planned is None:
        raise PermanentError(f"chunk {event.item} was scored, but the generation has no chunk plan")
    b, c = (int(part) for part in event.item.split("-"))
    scores = {int(t): (e.scores.overall if e.scores else None)
              for t, e in (doc.quality.chunks.get(event.item) or {}).items()}
    scores[event.take] = event.scores.overall if event.scores else None
    decision = decide(threshold, ports.settings.quality_max_retakes, event.take, scores)
    progress = follow(event, StageProgress, PRODUCER, stage=STAGE, done=len(doc.chunking.done),
                      total=doc.chunking.planned.total, item=f"{event.item}:t{event.take}",
                      message=f"beat {b} chunk {c}: {decision.note}")
    if decision.retake is not None:
        chunk = beat_plan(doc.plan, doc.spec, b, doc.chunking.planned.chunk_duration_s)[c]
        return [progress, chunk_request(event, doc.spec, doc.plan, chunk, _init_frame_of(doc, b, c),
                                        take=decision.retake)]
    assert decision.keep is not None
    kept = doc.chunking.take(event.item, decision.keep)
    if kept is None:
        raise TransientError(f"chunk {event.item} take {decision.keep} is scored but not yet listed")
    done, doc = await ports.docs.chunk_done(gid, kept)
    if doc.status != STATUS:
        return [progress]
    out = [progress, *fan_in(_kept(event, kept), doc, done)]
    if kept.chunk_index + 1 == kept.chunk_count:
        out += await cards.moved(event, doc, [kept.beat_index], "video_ready", ports.docs)
    return out


def _init_frame_of(doc: GenerationDoc, beat: int, chunk: int) -> ArtifactRef:
    """What a chunk animates from: its beat's storyboard frame, or the kept previous chunk's last frame."""
    if chunk == 0:
        frame = doc.storyboard.frame(beat)
        if frame is None:
            raise PermanentError(f"the storyboard has no frame for beat {beat}")
        return frame.image
    previous = doc.chunking.chunks.get(chunk_item(beat, chunk - 1))
    if previous is None:
        raise PermanentError(f"chunk {beat}-{chunk} is rendered again, but chunk {beat}-{chunk - 1} is not kept")
    return previous.last_frame


def _kept(cause: QualityScored, entry: ChunkEntry) -> ChunkCompleted:
    """The kept take as the fan-in reads it (never published: it carries the score event's id, so what the
    fan-in derives names the score as its cause)."""
    return ChunkCompleted(
        id=cause.id, generation_id=cause.generation_id, producer=PRODUCER, attempt=cause.attempt,
        beat_index=entry.beat_index, chunk_index=entry.chunk_index, chunk_count=entry.chunk_count,
        video=entry.video, last_frame=entry.last_frame, requested_duration_s=entry.requested_duration_s,
        actual_duration_s=entry.duration_s, model=entry.model, cost_usd=entry.cost_usd, take=entry.take,
    )
