"""Beat cards and video seeds on the chunker's side (pure decisions plus the store's conditional moves).

A beat's card goes to rendering when its first chunk is asked for and to video_ready when its last one is stored.
Cards are kept for interactive generations and for later versions of any ad; the automatic path's first version
keeps none (its cards are derived from the document when read), so its events stay as they were.
"""

from collections.abc import Iterable

from admint.contracts.envelope import Event
from admint.contracts.interactive import BeatUpdated
from admint.core.document import GenerationDoc
from admint.core.events import follow
from admint.core.stores import GenerationStore

PRODUCER = "chunker"


def keeps_cards(doc: GenerationDoc | None, version: int) -> bool:
    return doc is not None and (doc.spec.interactive or version > 1)


def video_seed(doc: GenerationDoc | None, version: int, beat: int) -> int | None:
    """The seed a beat's video is rendered with in a version (None: the generation's own seed)."""
    section = doc.ad_version(version) if doc is not None and version > 1 else None
    redo = section.redo(beat) if section is not None else None
    return redo.seed if redo is not None else None


def video_seeds(doc: GenerationDoc | None, version: int) -> dict[int, int | None]:
    section = doc.ad_version(version) if doc is not None and version > 1 else None
    return {b.index: b.seed for b in section.beats} if section is not None else {}


async def moved(cause: Event, doc: GenerationDoc | None, beats: Iterable[int], state: str,
                docs: GenerationStore) -> list[Event]:
    """Move the cards of `beats` to `state` (those that may move), announcing each move."""
    if doc is None or not keeps_cards(doc, cause.ad_version):
        return []
    out: list[Event] = []
    for beat in beats:
        if await docs.move_beat(doc.id, beat, state):
            record = doc.beat(beat)
            out.append(follow(cause, BeatUpdated, PRODUCER, beat_index=beat, state=state,
                              take=record.take if record else 0))
    return out
