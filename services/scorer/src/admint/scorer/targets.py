"""What the scorer scores and what it announces, decided without media tools (pure).

Chunks are scored as they are stored (every take), the master when it is stitched, and each rendition the exporter
re-encoded (the master's own rendition is the master file, already scored as the master). A master's joins begin
where each beat's own length ends: beat b's crossfade into b+1 starts at the sum of the first b+1 beats' durations
(every beat but the last is rendered `overlap` longer, and that overlap is the crossfade).
"""

from itertools import accumulate

from admint.contracts.envelope import Event
from admint.contracts.export import ExportCompleted, Rendition
from admint.contracts.generation import Transition
from admint.contracts.plan import Plan
from admint.contracts.quality import QualityKind, QualityScored
from admint.contracts.stages import ENDINGS
from admint.core.document import GenerationDoc, ScoreEntry
from admint.core.events import follow
from admint.core.keys import rendition_name
from admint.scorer.ports import Joins

PRODUCER = "scorer"


def worth_scoring(doc: GenerationDoc | None) -> bool:
    """A failed or cancelled generation's videos are not scored (a completed one's are: scores come after)."""
    return doc is not None and doc.status not in ENDINGS


def joins_of(plan: Plan | None, transition: Transition) -> Joins:
    """Where the master's joins begin (none known without a plan)."""
    if plan is None:
        return Joins(())
    ends = list(accumulate(beat.duration_s for beat in plan.beats))[:-1]
    return Joins(tuple(float(t) for t in ends), transition.kind, transition.overlap_s)


def renditions_to_score(event: ExportCompleted) -> list[Rendition]:
    """Renditions with their own pixels: every one but the master's (which is the master file)."""
    return [r for r in event.renditions if r.method != "master"]


def rendition_item(rendition: Rendition) -> str:
    return rendition_name(rendition.aspect)


def scored(cause: Event, kind: QualityKind, item: str, take: int, entry: ScoreEntry,
           threshold: float | None) -> QualityScored:
    """The announcement of a recorded score (the same, with the same dedup id, when announced again)."""
    return follow(cause, QualityScored, PRODUCER, kind=kind, item=item, take=take, video=entry.video,
                  scores=entry.scores, error=entry.error, threshold=threshold)
