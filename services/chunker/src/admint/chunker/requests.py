"""The events the chunker derives from the plan: chunk work items (the first chunk of each beat, the one after a
finished chunk) and the fan-in summary of every stored chunk."""

from collections.abc import Mapping
from typing import Final

from admint.chunker.planning import ChunkPlan, plan_beat, rendered_beat_length_s
from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import ChunkRef, ChunkRequested, ChunksCompleted
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.contracts.stages import Stage
from admint.core.document import ChunkEntry, chunk_item
from admint.core.errors import TransientError
from admint.core.events import follow

PRODUCER: Final = "chunker"
STAGE: Final[Stage] = "chunking"


def beat_plan(plan: Plan, spec: GenerationSpec, beat_index: int, chunk_duration_s: float) -> list[ChunkPlan]:
    beat = plan.beats[beat_index]
    length = rendered_beat_length_s(
        beat.duration_s, is_last=beat_index == len(plan.beats) - 1, transition=spec.transition
    )
    return plan_beat(beat_index, length, chunk_duration_s=chunk_duration_s, fps=spec.fps)


def chunk_request(
    cause: Event, spec: GenerationSpec, plan: Plan, chunk: ChunkPlan, init_frame: ArtifactRef, take: int = 0
) -> ChunkRequested:
    """The work item for one chunk (`take` > 0: a re-render below the quality threshold). Only the last beat
    carries the call to action (that is how a chunk knows it closes the ad)."""
    beat = plan.beats[chunk.beat_index]
    is_last = chunk.beat_index == len(plan.beats) - 1
    return follow(
        cause, ChunkRequested, PRODUCER,
        beat_index=chunk.beat_index,
        chunk_index=chunk.chunk_index,
        chunk_count=chunk.chunk_count,
        init_frame=init_frame,
        prompt=beat.prompt,
        camera_movement=beat.camera_movement,
        energy=beat.energy,
        requested_duration_s=chunk.requested_duration_s,
        needed_duration_s=chunk.needed_duration_s,
        beat_offset_s=chunk.beat_offset_s,
        beat_length_s=chunk.beat_length_s,
        caption=beat.caption,
        call_to_action=plan.call_to_action if is_last else "",
        spec=spec,
        take=take,
    )


def chunk_refs(stored: Mapping[str, ChunkEntry], expected: Mapping[str, int]) -> list[ChunkRef]:
    """Every stored chunk in (beat, chunk) order; `expected` is chunks per beat. Checks none is missing."""
    refs: list[ChunkRef] = []
    for beat in sorted(expected, key=int):
        for chunk in range(int(expected[beat])):
            entry = stored.get(chunk_item(int(beat), chunk))
            if entry is None:
                raise TransientError(f"chunk {beat}-{chunk} is counted as done but not yet in the document")
            refs.append(ChunkRef(beat_index=int(beat), chunk_index=chunk, video=entry.video,
                                 duration_s=entry.duration_s))
    return refs


def chunks_completed(cause: Event, spec: GenerationSpec, plan: Plan, stored: Mapping[str, ChunkEntry],
                     expected: Mapping[str, int]) -> ChunksCompleted:
    """The fan-in's result: every chunk of every beat is stored."""
    return follow(cause, ChunksCompleted, PRODUCER, spec=spec, plan=plan, chunks=chunk_refs(stored, expected))
