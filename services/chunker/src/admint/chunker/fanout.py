"""The fan-out decision for storyboard.completed: the chunk plan to record and where each beat starts.

Pure, so a first delivery, a redelivery and a retry round are one rule: the chunk length planned before is kept
(even when this replica's model differs), each beat starts at its first chunk not yet stored — from the storyboard
frame, or from the last frame of the stored chunk before it — and a generation whose chunks are all stored goes
straight to chunks.completed. Beats are requested longest first (most frames left to render), so the longest
chain of chunks never waits behind short ones.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from admint.chunker.planning import ChunkPlan, plan_chunks, total_chunks
from admint.chunker.requests import PRODUCER, STAGE, chunk_request, chunks_completed
from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import Event
from admint.contracts.generation import StageProgress
from admint.contracts.storyboard import StoryboardCompleted
from admint.core.document import ChunkEntry, ChunkingSection, ChunkPlanRecord, chunk_item
from admint.core.errors import PermanentError
from admint.core.events import follow


@dataclass(frozen=True)
class BeatStart:
    """The chunk a beat (re)starts at, and the frame it animates from."""

    chunk: ChunkPlan
    init_frame: ArtifactRef


@dataclass(frozen=True)
class FanOut:
    record: ChunkPlanRecord
    """What to record as the generation's chunk plan (start_chunking)."""
    beats: list[list[ChunkPlan]]
    starts: list[BeatStart]
    """One per beat that still has a chunk to render."""
    stored: Mapping[str, ChunkEntry]
    """Chunks already stored (a redelivery or a retry round): counted in the fan-in, reused."""

    @property
    def complete(self) -> bool:
        """Every chunk of every beat is stored already."""
        return all(c.item in self.stored for chunks in self.beats for c in chunks)

    def events(self, cause: StoryboardCompleted, done: int, model_name: str,
               seeds: Mapping[int, int | None] | None = None) -> list[Event]:
        """Progress, the start of every unfinished beat, and chunks.completed when nothing is left to render.
        `seeds`: a beat's video seed when it is a new take (a later version)."""
        total, duration = self.record.total, self.record.chunk_duration_s
        out: list[Event] = [follow(
            cause, StageProgress, PRODUCER, stage=STAGE, done=done, total=total, item="planned",
            message=f"{total} chunks for {len(self.beats)} beats ({model_name}, {duration:g} s per chunk)",
        )]
        out += [chunk_request(cause, cause.spec, cause.plan, s.chunk, s.init_frame,
                              seed=(seeds or {}).get(s.chunk.beat_index)) for s in self.starts]
        if self.complete:
            out.append(chunks_completed(cause, cause.spec, cause.plan, self.stored, self.record.beats))
        return out


def plan_fan_out(event: StoryboardCompleted, chunking: ChunkingSection, *, model: str,
                 chunk_duration_s: float) -> FanOut:
    """Plan every beat's chunks with the chunk length planned before (else this replica's model's) and find
    where each beat starts. Raises PermanentError when the storyboard lacks a beat's frame."""
    frames = {f.beat_index: f.image for f in event.frames}
    missing = [b.index for b in event.plan.beats if b.index not in frames]
    if missing:
        raise PermanentError(f"the storyboard has no frame for beat(s) {missing}")
    planned = chunking.planned
    if planned is not None:  # a redelivery keeps the chunk length it planned with
        model, chunk_duration_s = planned.model, planned.chunk_duration_s
    beats = plan_chunks(event.plan, event.spec.transition, chunk_duration_s=chunk_duration_s, fps=event.spec.fps)
    record = ChunkPlanRecord(model=model, chunk_duration_s=chunk_duration_s, total=total_chunks(beats),
                             beats={str(chunks[0].beat_index): len(chunks) for chunks in beats})
    stored = chunking.chunks
    starts = []
    for chunks in beats:
        pending = next((c for c in chunks if c.item not in stored), None)
        if pending is None:
            continue
        init = (frames[pending.beat_index] if pending.chunk_index == 0
                else stored[chunk_item(pending.beat_index, pending.chunk_index - 1)].last_frame)
        starts.append(BeatStart(pending, init))
    # the beat with the most left to render starts first: its chain of chunks is the stage's critical path
    remaining = {b[0].beat_index: sum(c.needed_frames for c in b if c.item not in stored) for b in beats}
    starts.sort(key=lambda s: -remaining[s.chunk.beat_index])
    return FanOut(record=record, beats=beats, starts=starts, stored=stored)
