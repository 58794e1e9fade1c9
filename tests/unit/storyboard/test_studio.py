"""The storyboard's interactive work with fakes of every port: the storyboard checkpoint, later takes, mood boards
and a new version's frames."""

import pytest

from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationSpec
from admint.contracts.interactive import (
    BeatRedo,
    BeatUpdated,
    CheckpointReached,
    MoodsRequested,
    VersionRequested,
)
from admint.contracts.storyboard import FrameCompleted, FrameRequested, PlanCompleted, StoryboardCompleted
from admint.core import steering
from admint.core.document import GenerationDoc
from admint.core.errors import PermanentError
from admint.core.keys import mood_key, storyboard_key
from admint.core.steering import BeatChange
from admint.planner.offline import OfflinePlanner
from admint.providers.ports import ImageRequest, ImageResult
from admint.storyboard.handlers import handle_frame_completed, handle_frame_requested, handle_plan_completed
from admint.storyboard.ports import Ports
from admint.storyboard.studio import handle_moods_requested, handle_version_requested
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.storyboard.fakes import FakeFrameCodec, FakeImageModel

pytestmark = pytest.mark.unit
GID = "GEN01STUDIOSB"
SIZE = FrameSize(width=180, height=320)


def spec(checkpoints: list[str]) -> GenerationSpec:
    return GenerationSpec(brief="Launch of NOIR perfume, luxurious. Shop now.", duration_s=15, size=SIZE, seed=9,
                          interactive=True, checkpoints=checkpoints)  # type: ignore[arg-type]


class Studio:
    def __init__(self, checkpoints: list[str], image: FakeImageModel | None = None) -> None:
        self.spec = spec(checkpoints)
        self.plan = OfflinePlanner().plan_sync(self.spec)
        self.docs, self.blobs = FakeGenerationStore(), FakeObjectStore()
        self.image = image or FakeImageModel(price=0.003)
        self.ports = Ports(docs=self.docs, blobs=self.blobs, image=self.image, codec=FakeFrameCodec(),
                           deadline_s=600)

    async def start(self) -> "Studio":
        await self.docs.create(builders.generation(GID, status="planning", spec=self.spec, plan=self.plan))
        await self.docs.plan_beats(GID, len(self.plan.beats))
        return self

    async def doc(self) -> GenerationDoc:
        doc = await self.docs.get(GID)
        assert doc is not None
        return doc

    async def storyboard(self) -> list:
        event = PlanCompleted(generation_id=GID, producer="gateway", spec=self.spec, plan=self.plan)
        out = []
        for request in [e for e in await handle_plan_completed(event, self.ports) if isinstance(e, FrameRequested)]:
            (done,) = await handle_frame_requested(request, self.ports)
            out += await handle_frame_completed(done, self.ports)
        return out


async def test_an_interactive_storyboard_shows_each_card_and_waits_at_the_checkpoint() -> None:
    s = await Studio(["storyboard"]).start()
    out = await s.storyboard()
    cards = [e for e in out if isinstance(e, BeatUpdated)]
    assert [c.state for c in cards] == ["frame_ready"] * len(s.plan.beats)
    assert all(c.frame is not None and c.frame.url.startswith("http://fake-s3/") for c in cards)
    reached = out[-1]
    assert isinstance(reached, CheckpointReached) and reached.checkpoint == "storyboard"
    assert [f.beat_index for f in reached.frames] == [b.index for b in s.plan.beats]
    assert not any(isinstance(e, StoryboardCompleted) for e in out)
    doc = await s.doc()
    assert doc.status == "awaiting_approval" and doc.checkpoint == "storyboard"


async def test_without_a_storyboard_checkpoint_the_frames_are_approved_at_once() -> None:
    s = await Studio(["plan"]).start()
    out = await s.storyboard()
    assert isinstance(out[-1], StoryboardCompleted)
    assert sum(isinstance(e, BeatUpdated) and e.state == "frame_approved" for e in out) == len(s.plan.beats)


async def test_a_new_take_gets_its_own_key_and_seed_and_replaces_the_current_frame() -> None:
    s = await Studio(["storyboard"]).start()
    await s.storyboard()
    events = await steering.steer(s.docs, await s.doc(), s.plan, [BeatChange(1, "frame", new_take=True)],
                                  source="regenerate", by="o", producer="gateway")
    request = events[-1]
    assert isinstance(request, FrameRequested) and request.take == 1
    (done,) = await handle_frame_requested(request, s.ports)
    assert isinstance(done, FrameCompleted) and done.take == 1
    assert done.image.key == storyboard_key(GID, 1, 1) and await s.blobs.exists(storyboard_key(GID, 1))
    assert s.image.requests[-1].seed == request.seed != s.spec.seed
    (card,) = await handle_frame_completed(done, s.ports)
    assert isinstance(card, BeatUpdated) and card.state == "frame_ready" and card.take == 1
    assert card.frame is not None and card.frame.image.key == storyboard_key(GID, 1, 1)
    doc = await s.doc()
    assert doc.storyboard.frame(1).take == 1 and doc.storyboard.take(1, 1).seed == request.seed  # type: ignore[union-attr]
    assert doc.storyboard.take(1, 0).image.key == storyboard_key(GID, 1)  # type: ignore[union-attr]  # still listed
    assert doc.costs["storyboard:1:t1"].usd == 0.003 and doc.costs["storyboard:1"].usd == 0.003
    # redelivered: announced again, not rendered again
    renders = len(s.image.requests)
    (again,) = await handle_frame_requested(request, s.ports)
    assert again.msg_id == done.msg_id and len(s.image.requests) == renders


class RefusingImageModel(FakeImageModel):
    async def render(self, request: ImageRequest) -> ImageResult:
        if request.seed != 9:
            raise PermanentError("the image model refused the prompt")
        return await super().render(request)


async def test_a_refused_take_fails_its_card_only_and_can_be_regenerated_again() -> None:
    s = await Studio(["storyboard"], RefusingImageModel()).start()
    await s.storyboard()
    events = await steering.steer(s.docs, await s.doc(), s.plan, [BeatChange(0, "frame", new_take=True)],
                                  source="regenerate", by="o", producer="gateway")
    (failed,) = await handle_frame_requested(events[-1], s.ports)  # type: ignore[arg-type]
    assert isinstance(failed, BeatUpdated) and failed.state == "failed" and "refused" in (failed.reason or "")
    doc = await s.doc()
    assert doc.status == "awaiting_approval" and doc.beat(0).state == "failed"  # type: ignore[union-attr]
    again = await steering.steer(s.docs, doc, s.plan, [BeatChange(0, "frame", new_take=True, seed=9)],
                                 source="regenerate", by="o", producer="gateway")
    assert isinstance(again[-1], FrameRequested) and again[-1].take == 2


async def test_mood_boards_are_three_looks_of_four_previews_and_wait_for_a_choice() -> None:
    s = await Studio(["moods", "plan"]).start()
    event = MoodsRequested(generation_id=GID, producer="planner", spec=s.spec, plan=s.plan)
    (reached,) = await handle_moods_requested(event, s.ports)
    assert isinstance(reached, CheckpointReached) and reached.checkpoint == "moods"
    assert [b.index for b in reached.moods] == [1, 2, 3] and all(len(b.images) == 4 for b in reached.moods)
    assert reached.moods[0].style == s.plan.style and reached.moods[0].music == s.plan.music
    assert len({tuple(b.style.palette) for b in reached.moods}) == 3
    assert reached.moods[2].music.mood == "dramatic"
    assert reached.moods[1].images[3].image.key == mood_key(GID, 2, 3)
    assert {(r.size.width, r.size.height) for r in s.image.requests} == {(90, 160)}
    assert {r.style.palette[0] for r in s.image.requests} == {b.style.palette[0] for b in reached.moods}
    doc = await s.doc()
    assert doc.status == "awaiting_approval" and doc.checkpoint == "moods" and doc.moods is not None
    assert sum(k.startswith("moods:") for k in doc.costs) == 12
    (again,) = await handle_moods_requested(event, s.ports)  # redelivery: nothing rendered twice
    assert again.msg_id == reached.msg_id and len(s.image.requests) == 12


async def test_a_version_renders_only_its_changed_frames_then_hands_over_every_frame() -> None:
    s = await Studio(["storyboard"]).start()
    await s.storyboard()
    await s.docs.enter(GID, "completed")
    events = await steering.steer(s.docs, await s.doc(), s.plan, [BeatChange(2, "frame", new_take=True)],
                                  source="regenerate", by="o", producer="gateway")
    request = events[-1]
    assert isinstance(request, VersionRequested)
    (frame,) = await handle_version_requested(request, s.ports)
    assert isinstance(frame, FrameRequested) and frame.ad_version == 2 and frame.beat.index == 2 and frame.take == 1
    (done,) = await handle_frame_requested(frame, s.ports)
    out = await handle_frame_completed(done, s.ports)
    board = out[-1]
    assert isinstance(board, StoryboardCompleted) and board.ad_version == 2
    keys = [f.image.key for f in board.frames]
    assert keys[2] == storyboard_key(GID, 2, 1) and keys[0] == storyboard_key(GID, 0)
    assert (await s.doc()).costs["v2:storyboard:2:t1"].usd == 0.003


async def test_a_version_without_new_frames_goes_straight_to_the_chunker() -> None:
    s = await Studio(["storyboard"]).start()
    await s.storyboard()
    await s.docs.enter(GID, "completed")
    doc = await s.doc()
    request = VersionRequested(generation_id=GID, producer="gateway", base_version=1, spec=s.spec, plan=s.plan,
                               beats=[BeatRedo(index=1, redo="video", seed=5)], ad_version=2)
    assert await handle_version_requested(request, s.ports) == []  # not opened: nothing to do
    events = await steering.steer(s.docs, doc, s.plan, [BeatChange(1, "video")], source="regenerate", by="o",
                                  producer="gateway")
    (board,) = await handle_version_requested(events[-1], s.ports)  # type: ignore[arg-type]
    assert isinstance(board, StoryboardCompleted) and board.ad_version == 2 and len(board.frames) == len(s.plan.beats)
