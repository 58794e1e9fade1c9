"""Healing the chunking fan-in: every planned chunk is recorded, so chunks.completed is due (healer.py)."""

from typing import Any

from admint.chunker.requests import PRODUCER, chunk_refs
from admint.contracts.chunks import ChunksCompleted
from admint.contracts.envelope import Event
from admint.core.document import GenerationDoc, chunk_item


async def heal_chunking(doc: GenerationDoc, ports: Any) -> list[Event]:
    """The completion the document proves is due (same dedup id as the fan-in's), else nothing."""
    planned = doc.chunking.planned
    if planned is None or doc.plan is None:
        return []
    expected = [chunk_item(int(b), c) for b, count in planned.beats.items() for c in range(count)]
    if any(item not in doc.chunking.chunks for item in expected):
        return []  # chunks still rendering: the budget decides, not the healer
    return [ChunksCompleted(generation_id=doc.id, producer=PRODUCER, attempt=doc.attempt, spec=doc.spec,
                            plan=doc.plan, chunks=chunk_refs(doc.chunking.chunks, planned.beats))]
