"""The fan-in decision for chunk.completed: progress, the beat's next chunk, and the end of the stage.

Chunks of a beat are sequential (each animates from the last frame of the one before, for continuity), beats run
in parallel; the stage ends when the count of recorded chunks reaches the planned total. Pure: the handler has
recorded and counted the chunk (one atomic update) and read the document.
"""

from admint.chunker.requests import PRODUCER, STAGE, beat_plan, chunk_request, chunks_completed
from admint.contracts.chunks import ChunkCompleted
from admint.contracts.envelope import Event
from admint.contracts.generation import StageProgress
from admint.core.document import GenerationDoc, chunk_item
from admint.core.errors import PermanentError
from admint.core.events import follow


def fan_in(event: ChunkCompleted, doc: GenerationDoc, done: int, seed: int | None = None) -> list[Event]:
    """What follows a recorded chunk, `done` being the count of recorded chunks including it (of its version:
    a later version has its own chunking section and plan). `seed`: the beat's video seed in that version."""
    b, c = event.beat_index, event.chunk_index
    item = chunk_item(b, c)
    chunking = doc.chunking_of(event.ad_version)
    planned = chunking.planned
    version = doc.ad_version(event.ad_version) if event.ad_version > 1 else None
    plan = version.plan if version is not None else doc.plan
    if planned is None or plan is None:
        raise PermanentError(f"chunk {item} completed, but the generation has no chunk plan")
    spec = doc.spec
    out: list[Event] = [follow(
        event, StageProgress, PRODUCER, stage=STAGE, done=done, total=planned.total, item=item,
        message=f"beat {b}: chunk {c + 1}/{event.chunk_count} stored",
    )]
    if c + 1 < event.chunk_count:
        following = beat_plan(plan, spec, b, planned.chunk_duration_s)[c + 1]
        out.append(chunk_request(event, spec, plan, following, init_frame=event.last_frame, seed=seed))
    if done >= planned.total:
        out.append(chunks_completed(event, spec, plan, chunking.chunks, planned.beats))
    return out
