"""One chunk's work, decided without media tools: what to ask the video model, whether its clip is long enough,
and the encode job (cut, skipped init frame, burnt-in caption/CTA windows, forced keyframes) — then the records
of the stored chunk (chunk.completed and the document entry)."""

from pathlib import Path

from admint.chunker.ports import ChunkJob, ClipLength
from admint.chunker.requests import PRODUCER
from admint.chunker.timeline import BeatLayout, overlay_windows, transition_keyframes, windows_in_chunk
from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import CaptionShown, ChunkCompleted, ChunkRequested
from admint.core.document import ChunkEntry, chunk_item
from admint.core.errors import TransientProviderError
from admint.core.events import follow
from admint.providers.ports import VideoRequest

SEED_STEP = 7919
"""A re-render below the quality threshold (take t) asks the model with seed + t·7919: a new seed, reproducible."""
MIN_CAPTION_S = 0.3
"""A caption fully shown for less than this in a chunk is not scored there (its fade is all the chunk has)."""


def cost_key(event: ChunkRequested) -> str:
    """The chunk take's entry in the generation's costs (a redelivery overwrites it; each take is priced)."""
    take = f":t{event.take}" if event.take else ""
    return f"chunk:{chunk_item(event.beat_index, event.chunk_index)}{take}"


def take_seed(seed: int, take: int) -> int:
    return (seed + take * SEED_STEP) % 2**31


def video_request(event: ChunkRequested, init_png: bytes, workdir: Path) -> VideoRequest:
    """The model call: the native chunk length, what will be kept of it, and where it sits in its beat."""
    spec = event.spec
    return VideoRequest(
        init_frame_png=init_png, prompt=event.prompt, camera_movement=event.camera_movement,
        duration_s=event.requested_duration_s, size=spec.size, fps=spec.fps,
        seed=take_seed(spec.seed, event.take), energy=event.energy, beat_offset_s=event.beat_offset_s,
        beat_length_s=event.beat_length_s,
        workdir=workdir, needed_duration_s=event.needed_duration_s, beat_index=event.beat_index,
    )


def skip_frames(event: ChunkRequested, repeats_init_frame: bool) -> int:
    """A continuing chunk drops the model's repeat of its init frame (the previous chunk's last frame)."""
    return 1 if event.chunk_index > 0 and repeats_init_frame else 0


def check_length(event: ChunkRequested, clip: ClipLength, skip: int, *, max_short_s: float, model: str) -> None:
    """A clip may be up to `max_short_s` short (the encode pads it with its last frame); shorter is a provider
    error worth a retry."""
    fps = clip.fps or event.spec.fps
    available = (clip.frames - skip) / fps if clip.frames else clip.duration_s
    if available < event.needed_duration_s - max_short_s:
        raise TransientProviderError(
            f"video model {model} returned {available:.2f}s for beat {event.beat_index} chunk "
            f"{event.chunk_index}, which needs {event.needed_duration_s:.2f}s"
        )


def chunk_job(event: ChunkRequested, skip: int, *, cta_duration_s: float) -> ChunkJob:
    """The encode of one chunk: cut to its frames of the beat, with the caption/CTA windows it covers and
    keyframes where a transition window begins or ends inside it."""
    spec = event.spec
    fps, frames = spec.fps, round(event.needed_duration_s * spec.fps)
    layout = BeatLayout(event.beat_index, event.beat_length_s, spec.transition.overlap_s,
                        is_last=bool(event.call_to_action))
    windows = overlay_windows(layout, event.caption, event.call_to_action, cta_duration_s=cta_duration_s)
    return ChunkJob(
        width=spec.size.width, height=spec.size.height, fps=fps, frames=frames, skip_frames=skip,
        beat_offset_s=event.beat_offset_s,
        overlays=tuple(windows_in_chunk(windows, event.beat_offset_s, event.needed_duration_s)),
        keyframes=tuple(transition_keyframes(layout, fps=fps, offset_frames=round(event.beat_offset_s * fps),
                                             frames=frames)),
    )


def caption_shown(event: ChunkRequested, *, cta_duration_s: float) -> CaptionShown | None:
    """The caption this chunk burns in and when it is fully shown (chunk time), for the scorer to read it by."""
    layout = BeatLayout(event.beat_index, event.beat_length_s, event.spec.transition.overlap_s,
                        is_last=bool(event.call_to_action))
    windows = overlay_windows(layout, event.caption, event.call_to_action, cta_duration_s=cta_duration_s)
    caption = next((w for w in windows if w.kind == "caption"), None)
    if caption is None:
        return None
    start = max(caption.start_s + caption.fade_in_s, event.beat_offset_s) - event.beat_offset_s
    end = min(caption.end_s - caption.fade_out_s, event.beat_offset_s + event.needed_duration_s) - event.beat_offset_s
    if end - start < MIN_CAPTION_S:
        return None
    return CaptionShown(text=caption.text, start_s=round(start, 3), end_s=round(end, 3))


def chunk_completed(event: ChunkRequested, video: ArtifactRef, last_frame: ArtifactRef, model: str,
                    cost_usd: float, caption: CaptionShown | None = None) -> ChunkCompleted:
    """The announcement of a stored chunk take (the same, with the same dedup id, when announced again)."""
    fps = event.spec.fps
    return follow(
        event, ChunkCompleted, PRODUCER,
        beat_index=event.beat_index, chunk_index=event.chunk_index, chunk_count=event.chunk_count,
        video=video, last_frame=last_frame, requested_duration_s=event.requested_duration_s,
        actual_duration_s=round(event.needed_duration_s * fps) / fps, model=model, cost_usd=cost_usd,
        take=event.take, caption=caption,
    )


def announce(event: ChunkRequested, entry: ChunkEntry, caption: CaptionShown | None = None) -> ChunkCompleted:
    """A chunk take the document lists already, announced again instead of rendered again."""
    return chunk_completed(event, entry.video, entry.last_frame, entry.model, entry.cost_usd, caption)


def chunk_entry(event: ChunkCompleted) -> ChunkEntry:
    """The document's record of one stored chunk."""
    return ChunkEntry(
        beat_index=event.beat_index, chunk_index=event.chunk_index, chunk_count=event.chunk_count,
        video=event.video, last_frame=event.last_frame, duration_s=event.actual_duration_s,
        requested_duration_s=event.requested_duration_s, model=event.model, cost_usd=event.cost_usd,
        take=event.take,
    )
