"""Healing the storyboard fan-in: every beat's frame is recorded, so storyboard.completed is due (healer.py)."""

from typing import Any

from admint.contracts.envelope import Event
from admint.contracts.storyboard import StoryboardCompleted
from admint.core.document import GenerationDoc
from admint.storyboard.board import PRODUCER, IncompleteStoryboard, assemble


async def heal_storyboard(doc: GenerationDoc, ports: Any) -> list[Event]:
    """The completion the document proves is due (same dedup id as the fan-in's), else nothing."""
    if doc.plan is None:
        return []
    try:
        spec, plan, frames = assemble(doc, len(doc.plan.beats))
    except IncompleteStoryboard:
        return []  # still rendering (or a frame failed): the budget decides, not the healer
    return [StoryboardCompleted(generation_id=doc.id, producer=PRODUCER, attempt=doc.attempt, spec=spec,
                                plan=plan, frames=frames)]
