"""Each generation's quality threshold, read once per process.

The fan-in asks for it on every stored chunk (is the chunk gated?) and the gate on every score (is there a gate
at all?): reading the generation for it each time cost the event loop about a millisecond of decoding per chunk,
while the threshold is fixed when the generation is created. Only the threshold is kept (never the brief: a
deleted generation's brief must not linger in a worker)."""

from collections import OrderedDict

from admint.core.stores import GenerationStore

KEPT = 1024
"""Generations whose threshold one process remembers (a few bytes each)."""


class Thresholds:
    """`await thresholds.of(gid)`: the generation's quality_threshold (None: no gate, or no such generation)."""

    def __init__(self, docs: GenerationStore, kept: int = KEPT) -> None:
        self.docs = docs
        self.kept = kept
        self._known: OrderedDict[str, float | None] = OrderedDict()

    async def of(self, generation_id: str) -> float | None:
        if generation_id in self._known:
            self._known.move_to_end(generation_id)
            return self._known[generation_id]
        spec = await self.docs.spec(generation_id)
        if spec is None:  # not created yet, or gone: nothing to remember
            return None
        self._known[generation_id] = spec.quality_threshold
        while len(self._known) > self.kept:
            self._known.popitem(last=False)
        return spec.quality_threshold
