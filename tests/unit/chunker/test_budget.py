"""max_cost_usd mid-run: the chunker does not make a video call that would take the spend past the limit."""

from pathlib import Path

import pytest

from admint.chunker.config import ChunkerSettings
from admint.chunker.handlers import Ports
from admint.contracts.common import CostEntry
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.core.budget import BudgetExceeded, budget_problem
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
