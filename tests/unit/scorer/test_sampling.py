"""Sampling: one ffmpeg decode gives every frame at the analysis size, and exact crops at the source size."""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from admint.scorer.media_tools import MediaToolError
from admint.scorer.sampling import Box, Sampling, analysis_size, at_rate, sample_video, still_indices
from tests.support.degrade import encode
from tests.unit.scorer.synthetic import steady_pan

pytestmark = pytest.mark.unit


def test_analysis_size_keeps_the_aspect_and_never_scales_up() -> None:
    assert analysis_size(1080, 1920, 320) == (180, 320)
    assert analysis_size(1920, 1080, 320) == (320, 180)
    assert analysis_size(1080, 1080, 320) == (320, 320)
    assert analysis_size(90, 160, 320) == (90, 160)


def test_still_indices_are_evenly_spaced_and_include_both_ends() -> None:
    assert still_indices(75, 4).tolist() == [0, 25, 49, 74]
    assert still_indices(3, 16).tolist() == [0, 1, 2]
    assert still_indices(0, 4).tolist() == []


def test_sampling_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Sampling(long_side=8)
    with pytest.raises(ValueError):
        Sampling(fps=0)


async def test_every_frame_is_decoded_at_the_analysis_size(tmp_path: Path) -> None:
    frames = steady_pan(frames=30)  # 180×320
    path = encode(frames, tmp_path / "pan.mp4")
    video = await sample_video(path, Sampling(long_side=160))
    assert video.frames.shape == (30, 160, 90, 3) and video.analysis_size == (90, 160)
    assert video.fps == pytest.approx(30.0) and video.source_size == (180, 320) and not video.has_audio
    halved = await sample_video(path, Sampling(fps=15))
    assert len(halved.frames) == 15 and halved.fps == 15


async def test_crops_are_exact_pixels_even_at_odd_offsets(tmp_path: Path) -> None:
    frames = steady_pan(frames=30)
    path = encode(frames, tmp_path / "pan.mp4")
    box = Box(31, 201, 31 + 77, 201 + 33)  # odd offsets and sizes: a yuv420p crop would snap them
    video = await sample_video(path, Sampling(), crop=box, crops=5)
    assert video.crops is not None and video.crops.shape[1:] == (33, 77, 3)
    assert video.crop_step == 6 and len(video.crops) == 5
    for i, crop in enumerate(video.crops):
        original = frames[i * video.crop_step, 201:234, 31:108].astype(int)
        assert np.abs(crop.astype(int) - original).mean() < 10  # the lossy encode, not a shifted window
        shifted = frames[i * video.crop_step, 202:235, 32:109].astype(int)
        assert np.abs(crop.astype(int) - original).mean() < np.abs(crop.astype(int) - shifted).mean()


async def test_crops_can_be_limited_to_a_window_of_the_clip(tmp_path: Path) -> None:
    """A caption a chunk shows for part of its length is read only while it is shown."""
    frames = steady_pan(frames=30)
    path = encode(frames, tmp_path / "pan.mp4")
    box = Box(0, 0, 40, 40)
    video = await sample_video(path, Sampling(), crop=box, crops=4, crop_window_s=(0.5, 0.9))  # frames 15..26
    assert video.crops is not None and video.crop_step == 3 and len(video.crops) == 4
    for i, crop in enumerate(video.crops):
        source = frames[15 + i * 3, :40, :40].astype(int)
        assert np.abs(crop.astype(int) - source).mean() < 10


class Timed:
    """A decoded frame's timestamp, as PyAV gives it: pts in a time base."""

    def __init__(self, pts: int, time_base: Fraction) -> None:
        self.pts, self.time_base = pts, time_base


def test_at_rate_drops_and_repeats_frames_onto_the_grid_as_the_fps_filter_does() -> None:
    source = [Timed(15360 * 10 + 512 * i, Fraction(1, 15360)) for i in range(30)]  # 1 s at 30 fps, from 10 s
    halved = list(at_rate(source, 15, 15))  # type: ignore[arg-type]
    assert [source.index(f) for f in halved] == [0, *range(1, 29, 2)]  # a tie rounds up, as ffmpeg's does
    doubled = list(at_rate(source[:3], 60, 6))  # type: ignore[arg-type]
    assert [source.index(f) for f in doubled] == [0, 0, 1, 1, 2, 2]
    assert len(list(at_rate(source, 30, 10))) == 10  # never more than asked


async def test_a_file_that_is_not_a_video_is_a_media_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video at all" * 100)
    with pytest.raises(MediaToolError):
        await sample_video(bogus, Sampling())
