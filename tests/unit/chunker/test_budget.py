"""max_cost_usd mid-run: the chunker does not make a video call that would take the spend past the limit."""

import asyncio
from pathlib import Path

import pytest

from admint.chunker.config import ChunkerSettings
from admint.chunker.handlers import Ports
from admint.contracts.common import CostEntry
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.core.budget import BudgetExceeded, budget_problem, ensure_budget, ensure_budget_of
from admint.providers.registry import load_registry
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.chunker.fakes import FakeEncoder, FakeVideo
from tests.unit.chunker.test_handlers import drive

pytestmark = pytest.mark.unit
GID = builders.GID
WAN_CHUNK = load_registry().get("wan-i2v").price(81 / 16)  # what the wan adapter charges for one 5 s chunk


async def priced_setup(tmp_path: Path, max_cost_usd: float | None) -> tuple[Ports, StoryboardCompleted, FakeVideo]:
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    spec = builders.spec(15, long_side=128).model_copy(update={"max_cost_usd": max_cost_usd})
    plan = builders.plan(15)
    await docs.create(builders.generation(GID, spec=spec, plan=plan))
    await docs.enter(GID, "storyboarding")
    frames = [FrameRef(beat_index=b.index, image=await blobs.put_bytes(keys.storyboard_key(GID, b.index), b"png",
                                                                        "image/png")) for b in plan.beats]
    video = FakeVideo(name="wan-i2v", cost_usd=WAN_CHUNK)
    ports = Ports(docs=docs, blobs=blobs, video=video, encoder=FakeEncoder(),
                  settings=ChunkerSettings(workdir=str(tmp_path / "work")))
    return ports, StoryboardCompleted(generation_id=GID, producer="storyboard", spec=spec, plan=plan,
                                      frames=frames), video


async def test_the_chunk_that_would_pass_max_cost_is_not_rendered(tmp_path: Path) -> None:
    ports, event, video = await priced_setup(tmp_path, max_cost_usd=1.0)
    with pytest.raises(BudgetExceeded, match="would pass max_cost_usd 1") as raised:
        await drive(ports, event)
    assert len(video.requests) == 2  # two chunks fit in 1 USD (0.46 each); the third is never asked for
    doc = await ports.docs.get(GID)
    assert doc is not None and doc.cost_total() == pytest.approx(2 * WAN_CHUNK)
    assert "stopped before chunk" in raised.value.reason


async def test_without_a_limit_every_chunk_is_rendered(tmp_path: Path) -> None:
    ports, event, video = await priced_setup(tmp_path, max_cost_usd=None)
    await drive(ports, event)
    assert len(video.requests) == 5


def test_a_rerender_of_a_recorded_item_is_not_counted_twice() -> None:
    doc = builders.generation(GID, spec=builders.spec(15).model_copy(update={"max_cost_usd": 1.0}))
    doc.costs["chunk:0-0"] = CostEntry(key="chunk:0-0", stage="chunking", model="wan-i2v", units=5, usd=0.9)
    assert budget_problem(doc, key="chunk:0-0", next_usd=0.9, what="chunk 0-0") is None
    assert budget_problem(doc, key="chunk:0-1", next_usd=0.2, what="chunk 0-1") is not None


async def test_a_call_under_way_counts_before_it_returns() -> None:
    """Two beats' chunks checked side by side: the second sees the first's reservation, not an empty bill."""
    docs = FakeGenerationStore()
    await docs.create(builders.generation(GID, spec=builders.spec(15).model_copy(update={"max_cost_usd": 1.0})))
    await ensure_budget(docs, GID, key="chunk:0-0", next_usd=0.6, what="chunk 0-0")  # allowed, now under way
    with pytest.raises(BudgetExceeded, match=r"0\.6000 USD is spent"):
        await ensure_budget(docs, GID, key="chunk:1-0", next_usd=0.6, what="chunk 1-0")
    await ensure_budget(docs, GID, key="chunk:0-0", next_usd=0.6, what="chunk 0-0")  # its own retry still may


async def test_checks_at_the_same_moment_never_pass_the_limit_together() -> None:
    """Four chunk requests whose handlers read the document before any of them reserved: exactly the two that
    fit get through (compare-and-set on the reserved sum), the others are refused."""
    docs = FakeGenerationStore()
    await docs.create(builders.generation(GID, spec=builders.spec(15).model_copy(update={"max_cost_usd": 1.0})))
    doc = await docs.get(GID)
    outcomes = await asyncio.gather(*(ensure_budget_of(docs, doc, key=f"chunk:{b}-0", next_usd=0.5,
                                                       what=f"chunk {b}-0") for b in range(4)),
                                    return_exceptions=True)
    assert sum(o is None for o in outcomes) == 2
    assert all(isinstance(o, BudgetExceeded) for o in outcomes if o is not None)
    after = await docs.get(GID)
    assert after is not None and after.budget_committed_usd == pytest.approx(1.0) and len(after.budget_reserved) == 2
