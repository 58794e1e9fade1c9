"""ReplicateImageModel: FLUX text-to-image and the Canny-conditioned product path, at the HTTP boundary."""

import base64

import cv2
import numpy as np
import pytest

from admint.contracts.common import FrameSize, ShotType
from admint.contracts.plan import Beat, Style
from admint.core.errors import PermanentProviderError
from admint.providers.ports import ImageRequest
from admint.providers.replicate_image import (
    ReplicateImageModel,
    canny_control,
    closest_aspect,
    control_size,
)
from tests.unit.providers.replicate_fake import (
    CREATE,
    FakeClock,
    FakeReplicate,
    body,
    png,
    product_png,
    recording,
)

pytestmark = pytest.mark.unit

SCHNELL_OUT = recording("flux-schnell.succeeded")["output"][0]
CANNY_OUT = recording("flux-canny.succeeded")["output"]
RED, BLUE = (0, 0, 255), (255, 0, 0)


def request(
    width: int = 180, height: int = 320, *, shot: ShotType = "close_up", product_image: bytes | None = None,
    seed: int = 1234,
) -> ImageRequest:
    beat = Beat(index=0, beat_id="hero_reveal", role="attention", start_s=0, duration_s=5, shot_type=shot,
                camera_movement="dolly_in", action="The bottle is revealed",
                prompt="A bottle of cold brew on a sunlit kitchen counter", caption="Wake up smoother")
    style = Style(palette=["#1b2a41", "#f2c14e"], keywords=["warm", "premium"], mood="calm")
    return ImageRequest(beat=beat, style=style, size=FrameSize(width=width, height=height), seed=seed,
                        product="cold brew", product_image=product_image)


def decode(data: bytes) -> np.ndarray:
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert pixels is not None
    return pixels


@pytest.mark.parametrize(
    ("width", "height", "aspect"),
    [(1080, 1920, "9:16"), (180, 320, "9:16"), (1080, 1080, "1:1"), (1920, 1080, "16:9"), (1080, 1350, "4:5"),
     (2560, 1080, "21:9"), (1200, 800, "3:2")],
)
def test_closest_supported_aspect(width: int, height: int, aspect: str) -> None:
    assert closest_aspect(FrameSize(width=width, height=height)) == aspect


async def test_text_to_image_request_and_exact_size_png() -> None:
    fake = FakeReplicate("flux-schnell.succeeded", polls=1, files={SCHNELL_OUT: png(90, 160, RED, BLUE)})
    model = ReplicateImageModel(fake.client(FakeClock()))
    result = await model.render(request(seed=2**40 + 7))

    (create,) = fake.calls("POST", CREATE)
    assert create.url.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    inputs = body(create)["input"]
    assert inputs["aspect_ratio"] == "9:16" and inputs["output_format"] == "png"
    assert inputs["num_outputs"] == 1
    assert inputs["seed"] == (2**40 + 7) % 2**31
    for words in ("A bottle of cold brew", "close-up", "#1b2a41", "premium", "calm mood", "no text"):
        assert words in inputs["prompt"]

    pixels = decode(result.png)
    assert pixels.shape == (320, 180, 3)
    assert tuple(pixels[160, 10]) == RED and tuple(pixels[160, 170]) == BLUE
    assert result.model == "flux-schnell" and result.cost_usd == pytest.approx(0.003)
    assert result.notes["prediction_id"] and result.notes["predict_time_s"] == "0.63"


async def test_output_of_another_aspect_is_cover_cropped_to_the_exact_size() -> None:
    fake = FakeReplicate("flux-schnell.succeeded", polls=0, files={SCHNELL_OUT: png(150, 100, RED, BLUE)})
    result = await ReplicateImageModel(fake.client(FakeClock())).render(request(320, 180))
    pixels = decode(result.png)
    assert pixels.shape == (180, 320, 3)  # 3:2 scaled to cover 16:9, centre-cropped top/bottom, not squashed
    assert tuple(pixels[90, 5]) == RED and tuple(pixels[90, 315]) == BLUE


async def test_product_image_uses_canny_model_with_our_edge_map() -> None:
    fake = FakeReplicate("flux-canny.succeeded", polls=1, files={CANNY_OUT: png(96, 160, RED, BLUE)})
    model = ReplicateImageModel(fake.client(FakeClock()))
    result = await model.render(request(product_image=product_png()))

    (create,) = fake.calls("POST", CREATE)
    assert create.url.path == "/v1/models/black-forest-labs/flux-canny-pro/predictions"
    inputs = body(create)["input"]
    assert inputs["output_format"] == "png" and "A bottle of cold brew" in inputs["prompt"]
    header, _, payload = inputs["control_image"].partition(",")
    assert header == "data:image/png;base64"
    edges = decode(base64.b64decode(payload))
    assert edges.ndim == 2 and edges.shape == (1024, 576)  # the frame's 9:16, FLUX-friendly size
    assert set(np.unique(edges)) == {0, 255} and cv2.countNonZero(edges) > 200

    assert decode(result.png).shape == (320, 180, 3)
    assert result.model == "flux-canny" and result.cost_usd == pytest.approx(0.05)
    assert result.notes["conditioning"] == "canny"


def test_edge_map_frames_the_product_by_shot_type() -> None:
    size = FrameSize(width=180, height=320)

    def edge_box_height(shot: ShotType) -> int:
        ys, _ = np.nonzero(canny_control(product_png(alpha=False), size, shot))
        return int(ys.max() - ys.min())

    close, wide = edge_box_height("extreme_close_up"), edge_box_height("wide")
    assert close > 2 * wide
    ys, xs = np.nonzero(canny_control(product_png(), size, "product_hero"))
    w, h = control_size(size)
    assert abs((xs.min() + xs.max()) / 2 - w / 2) < w * 0.05  # centred
    assert abs((ys.min() + ys.max()) / 2 - h / 2) < h * 0.05


async def test_featureless_product_image_falls_back_to_text_to_image() -> None:
    blank = cv2.imencode(".png", np.full((40, 40, 3), 255, np.uint8))[1].tobytes()
    fake = FakeReplicate("flux-schnell.succeeded", polls=0, files={SCHNELL_OUT: png(90, 160)})
    result = await ReplicateImageModel(fake.client(FakeClock())).render(request(product_image=blank))
    (create,) = fake.calls("POST", CREATE)
    assert create.url.path.endswith("/flux-schnell/predictions")
    assert result.notes["conditioning"].startswith("none")


async def test_unreadable_product_image_is_permanent_before_any_call() -> None:
    fake = FakeReplicate("flux-canny.succeeded")
    with pytest.raises(PermanentProviderError, match="product image"):
        await ReplicateImageModel(fake.client(FakeClock())).render(request(product_image=b"not an image"))
    assert fake.requests == []


async def test_output_that_is_not_an_image_is_permanent() -> None:
    fake = FakeReplicate("flux-schnell.succeeded", polls=0, files={SCHNELL_OUT: b"<html>oops</html>"})
    with pytest.raises(PermanentProviderError, match="not a readable image"):
        await ReplicateImageModel(fake.client(FakeClock())).render(request())


def test_only_replicate_image_models_are_accepted() -> None:
    with pytest.raises(ValueError, match="not a Replicate image model"):
        ReplicateImageModel(FakeReplicate("flux-schnell.succeeded").client(FakeClock()), text_model="wan-i2v")
