"""Storyboard handlers with fakes of the storage ports: fan-out, one frame, idempotent fan-in."""

import random

import cv2
import numpy as np
import pytest

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationSpec, StageProgress
from admint.contracts.storyboard import FrameCompleted, FrameRequested, PlanCompleted, StoryboardCompleted
from admint.core.errors import PermanentError, TransientError
from admint.core.keys import storyboard_key
from admint.planner.offline import OfflinePlanner
from admint.providers.ports import ImageRequest, ImageResult
from admint.storyboard.frames import conform_png, png_size
from admint.storyboard.handlers import (
    Ports,
    handle_frame_completed,
    handle_frame_requested,
    handle_plan_completed,
)
from admint.storyboard.offline_image import OfflineImageModel
from tests.support.fakes import FakeGenerationStore, FakeObjectStore

pytestmark = pytest.mark.unit
GID = "GEN01STORYBOARD"
SIZE = FrameSize(width=180, height=320)


class RecordingImageModel:
    """The real offline model, counting calls and remembering requests."""

    def __init__(self, price: float = 0.0, name: str = "offline-image") -> None:
        self.inner = OfflineImageModel()
        self.name = name
        self.price = price
        self.requests: list[ImageRequest] = []

    async def render(self, request: ImageRequest) -> ImageResult:
        self.requests.append(request)
        result = await self.inner.render(request)
        return ImageResult(model=self.name, cost_usd=self.price, png=result.png)


def plan_completed(duration_s: int = 20, **spec_extra: object) -> PlanCompleted:
    spec = GenerationSpec(
        brief="Launch of NOIR perfume, luxurious. Shop now.",
        duration_s=duration_s,
        size=SIZE,
        seed=9,
        **spec_extra,
    )  # type: ignore[arg-type]
    return PlanCompleted(
        generation_id=GID, producer="planner", spec=spec, plan=OfflinePlanner().plan_sync(spec)
    )


async def setup(image: RecordingImageModel | None = None, status: str = "planning"):
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    await docs.create(GID, {"owner": "acme"})
    await docs.advance(GID, status)
    return docs, blobs, Ports(docs=docs, blobs=blobs, image=image or RecordingImageModel(price=0.003))


async def run_frames(event: PlanCompleted, ports: Ports) -> list[FrameCompleted]:
    out = await handle_plan_completed(event, ports)
    completed = []
    for request in [e for e in out if isinstance(e, FrameRequested)]:
        (done,) = await handle_frame_requested(request, ports)
        completed.append(done)
    return completed


async def test_a_plan_fans_out_into_one_frame_request_per_beat() -> None:
    docs, _, ports = await setup()
    event = plan_completed()
    out = await handle_plan_completed(event, ports)
    start, *requests = out
    assert isinstance(start, StageProgress) and start.done == 0 and start.total == len(event.plan.beats)
    assert [r.beat.index for r in requests] == list(range(len(event.plan.beats)))
    assert all(isinstance(r, FrameRequested) and r.beat_count == len(event.plan.beats) for r in requests)
    assert all(
        r.spec == event.spec and r.style == event.plan.style and r.causation_id == event.id for r in requests
    )
    assert len({r.msg_id for r in requests}) == len(requests)
    doc = docs.docs[GID]
    assert doc["status"] == "storyboarding" and doc["storyboard"]["total"] == len(event.plan.beats)


async def test_a_generation_past_storyboarding_is_not_fanned_out_again() -> None:
    _, _, ports = await setup(status="chunking")
    assert await handle_plan_completed(plan_completed(), ports) == []


async def test_a_frame_is_rendered_stored_priced_and_announced() -> None:
    docs, blobs, ports = await setup()
    event = plan_completed()
    requests = [e for e in await handle_plan_completed(event, ports) if isinstance(e, FrameRequested)]
    (done,) = await handle_frame_requested(requests[1], ports)
    key = storyboard_key(GID, 1)
    data, content_type = blobs.objects[key]
    assert content_type == "image/png" and png_size(data) == (180, 320)
    assert done.image.key == key and done.beat_index == 1 and done.model == "offline-image"
    assert done.cost_usd == 0.003 and done.msg_id == f"{GID}:frame.completed.v1:1"
    cost = docs.docs[GID]["costs"]["storyboard:1"]
    assert cost["stage"] == "storyboard" and cost["usd"] == 0.003 and cost["model"] == "offline-image"


async def test_a_redelivered_frame_request_does_not_render_or_pay_again() -> None:
    docs, blobs, ports = await setup()
    image = ports.image
    event = plan_completed()
    request = next(e for e in await handle_plan_completed(event, ports) if isinstance(e, FrameRequested))
    (first,) = await handle_frame_requested(request, ports)
    puts = blobs.puts
    (again,) = await handle_frame_requested(request, ports)
    assert len(image.requests) == 1 and blobs.puts == puts  # type: ignore[attr-defined]
    assert again == first.model_copy(update={"id": again.id, "occurred_at": again.occurred_at})
    assert list(docs.docs[GID]["costs"]) == ["storyboard:0"]


async def test_fan_in_completes_once_every_frame_landed_in_any_order_with_duplicates() -> None:
    docs, blobs, ports = await setup()
    event = plan_completed(30)
    frames = await run_frames(event, ports)
    n = len(frames)
    deliveries = frames + frames[: n // 2]  # redeliveries of half of them
    random.Random(4).shuffle(deliveries)
    completed: list[StoryboardCompleted] = []
    progress: list[StageProgress] = []
    seen: set[int] = set()
    for frame in deliveries:
        out = await handle_frame_completed(frame, ports)
        seen.add(frame.beat_index)
        progress += [e for e in out if isinstance(e, StageProgress)]
        done = [e for e in out if isinstance(e, StoryboardCompleted)]
        assert bool(done) == (len(seen) == n), "completes exactly when the last distinct frame lands"
        completed += done
    assert len({c.msg_id for c in completed}) == 1  # duplicates carry one msg id: the stream drops them
    board = completed[0]
    assert [f.beat_index for f in board.frames] == list(range(n))
    assert [f.image.key for f in board.frames] == [storyboard_key(GID, i) for i in range(n)]
    assert board.plan == event.plan and board.spec == event.spec
    assert max(p.done for p in progress) == n and all(p.total == n for p in progress)
    assert len(blobs.objects) == n and sorted(docs.docs[GID]["storyboard"]["done"]) == list(range(n))


async def test_fan_in_with_a_missing_frame_record_is_retried() -> None:
    docs, _, ports = await setup()
    frames = await run_frames(plan_completed(15), ports)
    for frame in frames:
        await handle_frame_completed(frame, ports)
    del docs.docs[GID]["frames"]["0"]  # counted in the set, but its ref is gone
    with pytest.raises(TransientError, match=r"frames missing \[0\]"):
        await handle_frame_completed(frames[-1], ports)


async def test_the_product_image_is_fetched_and_passed_to_the_image_model() -> None:
    image = RecordingImageModel()
    _docs, blobs, ports = await setup(image)
    photo = cv2.imencode(".png", np.full((40, 30, 3), (255, 0, 255), np.uint8))[1].tobytes()
    asset = await blobs.put_bytes("assets/acme/a1/product.png", photo, "image/png")
    event = plan_completed(15, product_asset_id="a1", product_asset=asset)
    await run_frames(event, ports)
    assert image.requests and all(r.product_image == photo for r in image.requests)
    assert all(r.size == SIZE and r.seed == 9 and r.product == event.plan.product for r in image.requests)


async def test_a_missing_or_broken_product_image_fails_the_generation_with_a_reason() -> None:
    _docs, blobs, ports = await setup()
    ghost = ArtifactRef(
        bucket="admint", key="assets/acme/gone/p.png", sha256="0" * 64, size=1, content_type="image/png"
    )
    event = plan_completed(15, product_asset_id="gone", product_asset=ghost)
    request = next(e for e in await handle_plan_completed(event, ports) if isinstance(e, FrameRequested))
    with pytest.raises(PermanentError, match="missing from storage"):
        await handle_frame_requested(request, ports)
    broken = await blobs.put_bytes("assets/acme/b/p.png", b"not an image", "image/png")
    event = plan_completed(15, product_asset_id="b", product_asset=broken)
    request = next(e for e in await handle_plan_completed(event, ports) if isinstance(e, FrameRequested))
    with pytest.raises(PermanentError, match="could not be read"):
        await handle_frame_requested(request, ports)


async def test_a_provider_frame_of_the_wrong_size_is_conformed_and_garbage_is_refused() -> None:
    class WrongSize:
        name = "flux-schnell"

        async def render(self, request: ImageRequest) -> ImageResult:
            jpeg = cv2.imencode(".jpg", np.full((512, 512, 3), 128, np.uint8))[1].tobytes()
            return ImageResult(model=self.name, cost_usd=0.003, png=jpeg)

    _docs, blobs, ports = await setup()
    ports.image = WrongSize()  # type: ignore[assignment]
    request = next(
        e for e in await handle_plan_completed(plan_completed(15), ports) if isinstance(e, FrameRequested)
    )
    (done,) = await handle_frame_requested(request, ports)
    assert png_size(blobs.objects[done.image.key][0]) == (180, 320)

    class Garbage(WrongSize):
        async def render(self, request: ImageRequest) -> ImageResult:
            return ImageResult(model=self.name, png=b"<html>error</html>")

    ports.image = Garbage()  # type: ignore[assignment]
    request = request.model_copy(update={"beat": request.beat.model_copy(update={"index": 1})})
    with pytest.raises(PermanentError, match="not an image"):
        await handle_frame_requested(request, ports)


def test_conform_png_passes_exact_pngs_through_untouched() -> None:
    png = cv2.imencode(".png", np.zeros((320, 180, 3), np.uint8))[1].tobytes()
    assert conform_png(png, SIZE) is png
    assert png_size(b"GIF89a") is None
