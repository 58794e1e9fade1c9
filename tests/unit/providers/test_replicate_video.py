"""ReplicateVideoModel at the HTTP boundary: image-to-video requests (wan-i2v, hailuo), output file, cost."""

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from admint.contracts.common import CameraMovement, FrameSize
from admint.core.errors import PermanentProviderError
from admint.providers.ports import VideoRequest
from admint.providers.replicate_video import ReplicateVideoModel, video_prompt
from tests.unit.providers.replicate_fake import (
    CREATE,
    FAKE_MP4,
    FakeClock,
    FakeReplicate,
    body,
    png,
    recording,
)

pytestmark = pytest.mark.unit

WAN_OUT = recording("wan-i2v.succeeded")["output"]
HAILUO_OUT = recording("hailuo.succeeded")["output"]


def request(workdir: Path, *, width: int = 1080, height: int = 1920, movement: CameraMovement = "dolly_in",
            offset: float = 0.0, energy: float = 0.5) -> VideoRequest:
    return VideoRequest(
        init_frame_png=png(width, height), prompt="A bottle of cold brew on a sunlit counter",
        camera_movement=movement, duration_s=5.0, size=FrameSize(width=width, height=height), fps=30, seed=99,
        energy=energy, beat_offset_s=offset, beat_length_s=10.0, workdir=workdir,
    )


def files_in(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


async def test_wan_request_shape_output_file_and_cost(tmp_path: Path) -> None:
    fake = FakeReplicate("wan-i2v.succeeded", polls=3, files={WAN_OUT: FAKE_MP4})
    model = ReplicateVideoModel(fake.client(FakeClock()))
    assert model.name == "wan-i2v" and model.chunk_duration_s == 5.0
    result = await model.animate(request(tmp_path))

    (create,) = fake.calls("POST", CREATE)
    assert create.url.path == "/v1/models/wavespeedai/wan-2.1-i2v-480p/predictions"
    inputs = body(create)["input"]
    assert inputs["num_frames"] == 81 and inputs["frames_per_second"] == 16
    assert inputs["max_area"] == "480x832" and inputs["seed"] == 99
    assert "slow dolly in" in inputs["prompt"] and "A bottle of cold brew" in inputs["prompt"]
    header, _, payload = inputs["image"].partition(",")
    assert header == "data:image/jpeg;base64"
    frame = cv2.imdecode(np.frombuffer(base64.b64decode(payload), np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None
    assert frame.shape[:2] == (832, 468)  # 1080×1920 init frame shrunk to the model's working size

    assert result.path.parent == tmp_path and result.path.suffix == ".mp4"
    assert result.path.read_bytes() == FAKE_MP4
    assert files_in(tmp_path) == [result.path]  # no .part file left behind
    assert result.model == "wan-i2v"
    assert result.cost_usd == pytest.approx(0.09 * 81 / 16)  # billed per second of output at 16 fps
    assert result.notes["prediction_id"] and result.notes["billed_seconds"] == "5.0625"


async def test_landscape_frames_ask_for_landscape_area(tmp_path: Path) -> None:
    fake = FakeReplicate("wan-i2v.succeeded", polls=0, files={WAN_OUT: FAKE_MP4})
    await ReplicateVideoModel(fake.client(FakeClock())).animate(request(tmp_path, width=320, height=180))
    assert body(fake.calls("POST", CREATE)[0])["input"]["max_area"] == "832x480"


async def test_same_chunk_same_file_different_chunk_different_file(tmp_path: Path) -> None:
    fake = FakeReplicate("wan-i2v.succeeded", polls=0, files={WAN_OUT: FAKE_MP4})
    model = ReplicateVideoModel(fake.client(FakeClock()))
    first = await model.animate(request(tmp_path))
    again = await model.animate(request(tmp_path))
    later = await model.animate(request(tmp_path, offset=5.0))
    assert first.path == again.path != later.path
    assert len(files_in(tmp_path)) == 2


async def test_hailuo_uses_first_frame_image_and_a_flat_price(tmp_path: Path) -> None:
    fake = FakeReplicate("hailuo.succeeded", polls=1, files={HAILUO_OUT: FAKE_MP4})
    model = ReplicateVideoModel(fake.client(FakeClock()), model="hailuo")
    assert model.chunk_duration_s == 6.0
    result = await model.animate(request(tmp_path, movement="pan_left"))
    (create,) = fake.calls("POST", CREATE)
    assert create.url.path == "/v1/models/minimax/video-01/predictions"
    inputs = body(create)["input"]
    assert inputs["first_frame_image"].startswith("data:image/jpeg;base64,")
    assert "pan to the left" in inputs["prompt"]
    assert result.cost_usd == pytest.approx(0.5) and result.path.read_bytes() == FAKE_MP4


def test_prompt_carries_camera_pace_and_continuity(tmp_path: Path) -> None:
    calm = video_prompt(request(tmp_path, movement="orbit", energy=0.1))
    assert "orbits around the subject" in calm and "gentle" in calm and "continuing" not in calm
    energetic = video_prompt(request(tmp_path, movement="tilt_up", energy=0.9, offset=5.0))
    assert "tilts up" in energetic and "energetic" in energetic and "continuing the same shot" in energetic


async def test_failed_generation_leaves_no_file(tmp_path: Path) -> None:
    fake = FakeReplicate("failed.nsfw", polls=0)
    with pytest.raises(PermanentProviderError):
        await ReplicateVideoModel(fake.client(FakeClock())).animate(request(tmp_path))
    assert files_in(tmp_path) == []


def test_non_video_models_are_refused() -> None:
    with pytest.raises(ValueError, match="not a supported Replicate video model"):
        ReplicateVideoModel(FakeReplicate("wan-i2v.succeeded").client(FakeClock()), model="flux-schnell")
