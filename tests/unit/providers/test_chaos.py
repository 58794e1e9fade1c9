"""Chaos knobs: injected failures are classified exactly as real provider failures are."""

import random
from dataclasses import dataclass

import pytest

from admint.chunker.offline_video import OfflineVideoModel
from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.providers.chaos import ChaosModel, ChaosRule, apply_chaos
from admint.providers.factory import build_video_model
from admint.providers.settings import ProviderSettings

pytestmark = pytest.mark.unit


@dataclass
class Beat:
    index: int


@dataclass
class Request:
    seed: int
    beat: Beat


class Model:
    name = "fake-image"
    chunk_duration_s = 5.0

    async def render(self, request: Request) -> str:
        return f"ok {request.beat.index}"


async def test_transient_rate_fails_about_that_share_and_delegates_the_rest() -> None:
    model = ChaosModel(Model(), "image", ChaosRule(transient_rate=0.5), rng=random.Random(1))
    outcomes = []
    for _ in range(200):
        try:
            outcomes.append(await model.render(Request(1, Beat(0))))
        except TransientProviderError:
            outcomes.append("transient")
    share = outcomes.count("transient") / len(outcomes)
    assert 0.4 < share < 0.6
    assert set(outcomes) == {"transient", "ok 0"}
    assert model.name == "fake-image"


async def test_permanent_failure_hits_only_the_named_seed_and_beat() -> None:
    model = apply_chaos(Model(), "image", {"image": {"permanent_seed": 666, "permanent_beat": 1}})
    assert await model.render(Request(666, Beat(0))) == "ok 0"
    assert await model.render(Request(7, Beat(1))) == "ok 1"
    with pytest.raises(PermanentProviderError, match="refused beat 1"):
        await model.render(Request(666, Beat(1)))


def test_no_rule_means_the_model_itself() -> None:
    plain = Model()
    assert apply_chaos(plain, "image", {"video": {"transient_rate": 1}}) is plain


def test_factory_reads_chaos_from_settings() -> None:
    settings = ProviderSettings(chaos={"video": {"transient_rate": 1.0}})
    model = build_video_model(settings, OfflineVideoModel)
    assert isinstance(model, ChaosModel) and model.chunk_duration_s == 5.0


async def test_latency_waits_without_cpu_while_holding_a_shared_slot() -> None:
    """A simulated remote model: every call waits `latency_s` (asleep, not busy) inside one of `slots` leases
    of the shared limiter, then delegates."""
    import asyncio
    import contextlib
    import time

    held: list[tuple[str, int]] = []
    inside = {"now": 0, "peak": 0}

    @contextlib.asynccontextmanager
    async def hold(name: str, capacity: int):  # type: ignore[no-untyped-def]
        held.append((name, capacity))
        inside["now"] += 1
        inside["peak"] = max(inside["peak"], inside["now"])
        try:
            yield
        finally:
            inside["now"] -= 1

    model = apply_chaos(Model(), "image", {"image": {"latency_s": 0.2, "slots": 3}}, shared_slots=hold)
    cpu, began = time.process_time(), time.perf_counter()
    results = await asyncio.gather(*(model.render(Request(1, Beat(i))) for i in range(4)))
    wall = time.perf_counter() - began
    assert results == [f"ok {i}" for i in range(4)]
    assert 0.2 <= wall < 0.6 and time.process_time() - cpu < 0.1  # waited, in parallel, without working
    assert held == [("simulated:fake-image", 3)] * 4 and inside["peak"] == 4  # the fake does not limit


async def test_transient_faults_can_target_chosen_seeds() -> None:
    model = apply_chaos(Model(), "image", {"image": {"transient_rate": 1.0, "transient_seeds": [7]}})
    with pytest.raises(TransientProviderError):
        await model.render(Request(seed=7, beat=Beat(0)))
    assert await model.render(Request(seed=8, beat=Beat(2))) == "ok 2"


@pytest.mark.parametrize("streaming", [False, True], ids=["file", "streamed frames"])
async def test_the_blur_knob_returns_blurred_clips_for_the_named_seed_and_beat_only(  # type: ignore[no-untyped-def]
        tmp_path, streaming: bool) -> None:
    import threading

    import cv2

    from admint.contracts.common import FrameSize
    from admint.media.frames import encode_png, read_frames
    from admint.providers.ports import VideoRequest
    from tests.support.degrade import textured_storyboard

    model = apply_chaos(OfflineVideoModel(streaming=streaming), "video", {"video": {"blur_seed": 5, "blur_beat": 1}})

    def request(seed: int, beat: int, where: str) -> VideoRequest:
        (tmp_path / where).mkdir()
        return VideoRequest(init_frame_png=encode_png(textured_storyboard(90, 160)), prompt="p",
                            camera_movement="static", duration_s=0.5, size=FrameSize(width=90, height=160), fps=30,
                            seed=seed, beat_index=beat, beat_length_s=0.5, workdir=tmp_path / where)

    def sharpness(frames) -> float:  # type: ignore[no-untyped-def]
        return float(cv2.Laplacian(cv2.cvtColor(frames[0], cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())

    async def frames_of(result):  # type: ignore[no-untyped-def]
        if result.frames is None:
            return await read_frames(result.path, 90, 160)
        rendered: list = []  # type: ignore[type-arg]
        yuv = result.frames.pix_fmt == "yuv420p"  # the offline model streams house YUV (I420 planes)
        result.frames.render(lambda frame: rendered.append(
            cv2.cvtColor(frame, cv2.COLOR_YUV2BGR_I420) if yuv else frame.copy()), threading.Event())
        return rendered

    blurred = await model.animate(request(5, 1, "a"))
    sharp = [await model.animate(request(6, 1, "b")), await model.animate(request(5, 0, "c"))]
    assert blurred.frames is None and ".blurred." in blurred.path.name  # a streamed clip comes back as a file
    assert not any("blurred" in r.path.name for r in sharp)
    assert all((r.frames is not None) == streaming for r in sharp)
    frames = [await frames_of(r) for r in (blurred, *sharp)]
    assert len(frames[0]) == len(frames[1]) and sharpness(frames[0]) < sharpness(frames[1]) / 4
