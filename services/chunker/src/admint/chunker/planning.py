"""Chunk planning: how many video-model chunks each beat needs, and what each one contributes.

Everything is counted in whole frames so the chunks of a beat add up to the rendered beat exactly (no float
drift), and the stitcher's master equals the plan's duration to the frame (DESIGN.md §5a).
"""

import math
from dataclasses import dataclass

from admint.contracts.generation import Transition
from admint.contracts.plan import Plan
from admint.core.document import chunk_item


@dataclass(frozen=True)
class ChunkPlan:
    """One chunk of one beat: the model is asked for `requested_duration_s`, `needed_frames` are kept."""

    beat_index: int
    chunk_index: int
    chunk_count: int
    fps: int
    requested_duration_s: float
    needed_frames: int
    offset_frames: int
    """Frames of the beat before this chunk (the sum of the earlier chunks' needed frames)."""
    beat_frames: int
    """Frames of the rendered beat (beat duration + outgoing transition overlap)."""

    @property
    def item(self) -> str:
        """The chunk's id inside its generation, e.g. 2-0 (doc map key, progress item, fan-in member)."""
        return chunk_item(self.beat_index, self.chunk_index)

    @property
    def needed_duration_s(self) -> float:
        return self.needed_frames / self.fps

    @property
    def beat_offset_s(self) -> float:
        return self.offset_frames / self.fps

    @property
    def beat_length_s(self) -> float:
        return self.beat_frames / self.fps

    @property
    def is_last_of_beat(self) -> bool:
        return self.chunk_index == self.chunk_count - 1


def rendered_beat_length_s(duration_s: float, *, is_last: bool, transition: Transition) -> float:
    """A beat is rendered longer by the crossfade that eats into its tail, except the last beat (no tail)."""
    return duration_s + (0.0 if is_last else transition.overlap_s)


def native_chunk_frames(chunk_duration_s: float, fps: int) -> int:
    """Whole frames one model call yields (a 5 s model at 30 fps: 150)."""
    return max(1, math.floor(chunk_duration_s * fps + 1e-6))


def plan_beat(
    beat_index: int, beat_length_s: float, *, chunk_duration_s: float, fps: int
) -> list[ChunkPlan]:
    """Split one rendered beat into ceil(length / native) chunks; every chunk is full length but the last."""
    if beat_length_s <= 0:
        raise ValueError(f"beat {beat_index} has no length ({beat_length_s}s)")
    total = max(1, round(beat_length_s * fps))
    per = native_chunk_frames(chunk_duration_s, fps)
    count = math.ceil(total / per)
    return [
        ChunkPlan(
            beat_index=beat_index,
            chunk_index=i,
            chunk_count=count,
            fps=fps,
            requested_duration_s=chunk_duration_s,
            needed_frames=min(per, total - i * per),
            offset_frames=i * per,
            beat_frames=total,
        )
        for i in range(count)
    ]


def plan_chunks(
    plan: Plan, transition: Transition, *, chunk_duration_s: float, fps: int
) -> list[list[ChunkPlan]]:
    """Chunk plans of every beat, in beat order."""
    last = len(plan.beats) - 1
    return [
        plan_beat(
            beat.index,
            rendered_beat_length_s(beat.duration_s, is_last=beat.index == last, transition=transition),
            chunk_duration_s=chunk_duration_s,
            fps=fps,
        )
        for beat in plan.beats
    ]


def total_chunks(beats: list[list[ChunkPlan]]) -> int:
    return sum(len(chunks) for chunks in beats)
