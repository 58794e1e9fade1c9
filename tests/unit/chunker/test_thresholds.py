"""A generation's quality threshold is read once per process, never for a generation that does not exist yet."""

from typing import Any

import pytest

from admint.chunker.thresholds import Thresholds
from admint.contracts.generation import GenerationSpec
from tests.support import builders
from tests.support.fakes import FakeGenerationStore

pytestmark = pytest.mark.unit


class CountingStore(FakeGenerationStore):
    def __init__(self) -> None:
        super().__init__()
        self.spec_reads: list[str] = []

    async def spec(self, generation_id: str) -> GenerationSpec | None:
        self.spec_reads.append(generation_id)
        return await super().spec(generation_id)


async def created(store: FakeGenerationStore, gid: str, **spec: Any) -> None:
    await store.create(builders.generation(gid, spec=builders.spec(**spec)))


async def test_each_generation_is_read_once_and_the_oldest_are_forgotten_first() -> None:
    store = CountingStore()
    await created(store, "gated", quality_threshold=70.0)
    await created(store, "open")
    await created(store, "third")
    thresholds = Thresholds(store, kept=2)
    assert [await thresholds.of(g) for g in ("gated", "open", "gated", "open")] == [70.0, None, 70.0, None]
    assert store.spec_reads == ["gated", "open"]
    await thresholds.of("third")  # "gated" was used longest ago: it goes
    assert await thresholds.of("open") is None and await thresholds.of("gated") == 70.0
    assert store.spec_reads == ["gated", "open", "third", "gated"]


async def test_a_generation_not_found_is_asked_again_later() -> None:
    store = CountingStore()
    thresholds = Thresholds(store)
    assert await thresholds.of("late") is None
    await created(store, "late", quality_threshold=55.0)
    assert await thresholds.of("late") == 55.0
    assert store.spec_reads == ["late", "late"]
