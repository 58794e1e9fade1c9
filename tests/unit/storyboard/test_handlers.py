"""Storyboard handlers with fakes of every port: fan-out, one frame, idempotent fan-in (no pixels decoded)."""

import random

import pytest

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationSpec, StageProgress
from admint.contracts.storyboard import FrameCompleted, FrameRequested, PlanCompleted, StoryboardCompleted
from admint.core.document import FrameEntry, GenerationDoc
from admint.core.errors import PermanentError, TransientError
from admint.core.keys import storyboard_key
from admint.planner.offline import OfflinePlanner
from admint.storyboard.handlers import handle_frame_completed, handle_frame_requested, handle_plan_completed
from admint.storyboard.ports import Ports
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.storyboard.fakes import FakeFrameCodec, FakeImageModel, conformed

pytestmark = pytest.mark.unit
GID = "GEN01STORYBOARD"
SIZE = FrameSize(width=180, height=320)


def plan_completed(duration_s: int = 20, **spec_extra: object) -> PlanCompleted:
    spec = GenerationSpec(
        brief="Launch of NOIR perfume, luxurious. Shop now.",
        duration_s=duration_s,
        size=SIZE,
        seed=9,
        **spec_extra,  # type: ignore[arg-type]
    )
    return PlanCompleted(
        generation_id=GID, producer="planner", spec=spec, plan=OfflinePlanner().plan_sync(spec)
    )


class Setup:
    """A generation as the planner leaves it (spec and plan recorded once), and the storyboard's ports."""

    def __init__(self, event: PlanCompleted, image: FakeImageModel | None = None) -> None:
        self.event = event
        self.docs, self.blobs, self.codec = FakeGenerationStore(), FakeObjectStore(), FakeFrameCodec()
        self.image = image or FakeImageModel(price=0.003)
        self.ports = Ports(docs=self.docs, blobs=self.blobs, image=self.image, codec=self.codec)

    async def start(self, status: str = "planning") -> "Setup":
        await self.docs.create(
            builders.generation(GID, status=status, spec=self.event.spec, plan=self.event.plan)
        )
        return self

    async def doc(self) -> GenerationDoc:
        doc = await self.docs.get(GID)
        assert doc is not None
        return doc

    async def requests(self) -> list[FrameRequested]:
        return [
            e for e in await handle_plan_completed(self.event, self.ports) if isinstance(e, FrameRequested)
        ]

    async def frames(self) -> list[FrameCompleted]:
        completed = []
        for request in await self.requests():
            (done,) = await handle_frame_requested(request, self.ports)
            assert isinstance(done, FrameCompleted)
            completed.append(done)
        return completed


async def setup(
    event: PlanCompleted | None = None, image: FakeImageModel | None = None, status: str = "planning"
) -> Setup:
    return await Setup(event or plan_completed(), image).start(status)


async def test_a_plan_fans_out_into_one_frame_request_per_beat() -> None:
    s = await setup()
    event, n = s.event, len(s.event.plan.beats)
    start, *out = await handle_plan_completed(event, s.ports)
    assert isinstance(start, StageProgress) and start.done == 0 and start.total == n
    requests = [r for r in out if isinstance(r, FrameRequested)]
    assert len(requests) == len(out) and [r.beat.index for r in requests] == list(range(n))
    assert all(r.beat_count == n and r.spec == event.spec and r.style == event.plan.style for r in requests)
    assert all(r.causation_id == event.id for r in requests)
    assert len({r.msg_id for r in requests}) == len(requests)
    doc = await s.doc()
    assert doc.status == "storyboarding" and doc.storyboard.total == n
    assert doc.storyboard.image_model == "offline-image"


async def test_a_generation_past_storyboarding_is_not_fanned_out_again() -> None:
    s = await setup(status="chunking")
    assert await handle_plan_completed(s.event, s.ports) == []
    assert (await s.doc()).storyboard.total == 0


async def test_a_frame_is_rendered_conformed_stored_priced_and_announced() -> None:
    s = await setup()
    requests = await s.requests()
    (done,) = await handle_frame_requested(requests[1], s.ports)
    key = storyboard_key(GID, 1)
    assert s.codec.conformed == [(b"IMG beat 1", SIZE)]
    assert s.blobs.objects[key] == (conformed(b"IMG beat 1", SIZE), "image/png")
    assert isinstance(done, FrameCompleted)
    assert done.image.key == key and done.beat_index == 1 and done.model == "offline-image"
    assert done.cost_usd == 0.003 and done.msg_id == f"{GID}:frame.completed.v1:1"
    doc = await s.doc()
    cost = doc.costs["storyboard:1"]
    assert cost.stage == "storyboard" and cost.usd == 0.003 and cost.model == "offline-image"
    assert doc.storyboard.frame(1) == FrameEntry(image=done.image, model="offline-image", cost_usd=0.003)
    assert doc.storyboard.done == []  # recorded by the frame handler, counted only by the fan-in


async def test_a_redelivered_frame_request_does_not_render_or_pay_again() -> None:
    s = await setup()
    request = (await s.requests())[0]
    (first,) = await handle_frame_requested(request, s.ports)
    puts = s.blobs.puts
    (again,) = await handle_frame_requested(request, s.ports)
    assert len(s.image.requests) == 1 and s.blobs.puts == puts
    assert again == first.model_copy(update={"id": again.id, "occurred_at": again.occurred_at})
    assert list((await s.doc()).costs) == ["storyboard:0"]


async def test_a_recorded_frame_whose_object_is_gone_is_rendered_again() -> None:
    s = await setup()
    request = (await s.requests())[0]
    await handle_frame_requested(request, s.ports)
    await s.blobs.delete(storyboard_key(GID, 0))
    (again,) = await handle_frame_requested(request, s.ports)
    assert len(s.image.requests) == 2 and await s.blobs.exists(again.image.key)  # type: ignore[attr-defined]
    assert list((await s.doc()).costs) == ["storyboard:0"]  # the same cost entry, overwritten


async def test_fan_in_completes_once_every_frame_landed_in_any_order_with_duplicates() -> None:
    s = await setup(plan_completed(30))
    frames = await s.frames()
    n = len(frames)
    deliveries = frames + frames[: n // 2]  # redeliveries of half of them
    random.Random(4).shuffle(deliveries)
    completed: list[StoryboardCompleted] = []
    progress: list[StageProgress] = []
    seen: set[int] = set()
    for frame in deliveries:
        out = await handle_frame_completed(frame, s.ports)
        seen.add(frame.beat_index)
        progress += [e for e in out if isinstance(e, StageProgress)]
        done = [e for e in out if isinstance(e, StoryboardCompleted)]
        assert bool(done) == (len(seen) == n), "completes exactly when the last distinct frame lands"
        completed += done
    assert len({c.msg_id for c in completed}) == 1  # duplicates carry one msg id: the stream drops them
    board = completed[0]
    assert [f.beat_index for f in board.frames] == list(range(n))
    assert [f.image.key for f in board.frames] == [storyboard_key(GID, i) for i in range(n)]
    assert board.plan == s.event.plan and board.spec == s.event.spec
    assert max(p.done for p in progress) == n and all(p.total == n for p in progress)
    assert len(s.blobs.objects) == n and sorted((await s.doc()).storyboard.done) == list(range(n))


async def test_the_fan_in_records_each_frame_as_it_counts_it() -> None:
    s = await setup(plan_completed(15))
    frames = await s.frames()
    s.docs.docs[GID]["storyboard"]["frames"] = {}  # as if every frame handler's record had been lost
    outs = [await handle_frame_completed(frame, s.ports) for frame in frames]
    (board,) = [e for e in outs[-1] if isinstance(e, StoryboardCompleted)]
    assert [f.image for f in board.frames] == [f.image for f in frames]
    doc = await s.doc()
    assert all(
        doc.storyboard.frame(f.beat_index) == FrameEntry(image=f.image, model=f.model, cost_usd=f.cost_usd)
        for f in frames
    )


async def test_fan_in_with_a_missing_frame_record_is_retried() -> None:
    s = await setup(plan_completed(15))
    frames = await s.frames()
    for frame in frames:
        await handle_frame_completed(frame, s.ports)
    del s.docs.docs[GID]["storyboard"]["frames"]["0"]  # counted in the set, but its record is gone
    with pytest.raises(TransientError, match=r"frames missing \[0\]"):
        await handle_frame_completed(frames[-1], s.ports)


async def test_the_product_image_is_checked_and_passed_to_the_image_model() -> None:
    event = plan_completed(15)
    s = Setup(event)
    photo = b"IMG product photo"
    asset = await s.blobs.put_bytes("assets/acme/a1/product.png", photo, "image/png")
    s.event = plan_completed(15, product_asset_id="a1", product_asset=asset)
    await s.start()
    await s.frames()
    n = len(s.event.plan.beats)
    assert s.codec.checked == [photo] * n
    assert len(s.image.requests) == n and all(r.product_image == photo for r in s.image.requests)
    assert all(r.size == SIZE and r.seed == 9 and r.product == s.event.plan.product for r in s.image.requests)


@pytest.mark.parametrize(
    ("stored", "reason"), [(None, "missing from storage"), (b"not an image", "could not be read")]
)
async def test_a_missing_or_broken_product_image_fails_the_generation_with_a_reason(
    stored: bytes | None, reason: str
) -> None:
    s = Setup(plan_completed(15))
    key = "assets/acme/p1/p.png"
    asset = ArtifactRef(bucket="admint", key=key, sha256="0" * 64, size=1, content_type="image/png")
    if stored is not None:
        asset = await s.blobs.put_bytes(key, stored, "image/png")
    s.event = plan_completed(15, product_asset_id="p1", product_asset=asset)
    await s.start()
    request = (await s.requests())[0]
    with pytest.raises(PermanentError, match=reason):
        await handle_frame_requested(request, s.ports)
    assert s.image.requests == [] and not await s.blobs.exists(storyboard_key(GID, 0))


async def test_garbage_from_the_image_model_is_refused_and_nothing_is_stored() -> None:
    s = await setup(image=FakeImageModel(name="flux-schnell", price=0.003, png=b"<html>error</html>"))
    request = (await s.requests())[0]
    with pytest.raises(PermanentError, match="flux-schnell returned something that is not an image"):
        await handle_frame_requested(request, s.ports)
    doc = await s.doc()
    assert s.blobs.objects == {} and doc.costs == {} and doc.storyboard.frame(0) is None
