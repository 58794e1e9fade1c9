"""Rendition geometry: platform sizes, crop windows that follow the detail, pad when a crop would lose too much."""

import numpy as np
import pytest

from admint.contracts.common import FrameSize
from admint.exporter.renditions import (
    Policy,
    best_offset,
    crop_extent,
    plan_rendition,
    rendition_size,
    video_filter,
)

pytestmark = pytest.mark.unit
PORTRAIT = FrameSize(width=1080, height=1920)
LANDSCAPE = FrameSize(width=1920, height=1080)


def size(w: int, h: int) -> FrameSize:
    return FrameSize(width=w, height=h)


@pytest.mark.parametrize(
    ("master", "aspect", "expected"),
    [
        (PORTRAIT, "9:16", size(1080, 1920)),
        (PORTRAIT, "1:1", size(1080, 1080)),
        (PORTRAIT, "16:9", size(1920, 1080)),
        (LANDSCAPE, "9:16", size(1080, 1920)),
        (LANDSCAPE, "1:1", size(1080, 1080)),
        (size(180, 320), "1:1", size(180, 180)),
        (size(180, 320), "16:9", size(320, 180)),
        (size(1080, 1080), "1:1", size(1080, 1080)),  # a square master: the platform's square, not 1920×1920
        (size(1080, 1080), "9:16", size(1080, 1920)),
        (size(1080, 1080), "16:9", size(1920, 1080)),
        (size(180, 180), "9:16", size(180, 320)),
    ],
)
def test_platform_sizes_at_the_masters_scale(master: FrameSize, aspect: str, expected: FrameSize) -> None:
    assert rendition_size(aspect, master) == expected


def test_crop_extent_is_the_largest_even_window_of_the_aspect() -> None:
    assert crop_extent(PORTRAIT, "1:1") == (1080, 1080)
    assert crop_extent(PORTRAIT, "16:9") == (1080, 608)
    assert crop_extent(LANDSCAPE, "9:16") == (608, 1080)
    assert crop_extent(LANDSCAPE, "1:1") == (1080, 1080)


def test_best_offset_follows_the_energy_and_prefers_the_centre_when_flat() -> None:
    flat = np.ones(100)
    assert best_offset(flat, 40, 0.15) == (30, pytest.approx(0.4))
    bottom = np.r_[np.ones(60), np.full(40, 20.0)]
    start, share = best_offset(bottom, 40, 0.15)
    assert start == 60 and share > 0.9
    assert best_offset(flat, 200, 0.15) == (0, 1.0)


def saliency_with_band(rows: int, cols: int, top: float, bottom: float) -> np.ndarray:
    """A mostly empty frame with all its detail in rows [top, bottom) (fractions of the height)."""
    m = np.full((rows, cols), 0.05)
    m[int(rows * top) : int(rows * bottom)] = 10.0
    return m


def test_crop_is_kept_when_the_detail_fits_and_it_moves_to_where_the_detail_is() -> None:
    low = saliency_with_band(170, 96, 0.55, 0.85)  # subject and caption in the lower half
    plan = plan_rendition("1:1", PORTRAIT, low, Policy())
    assert plan.method == "crop" and plan.size == size(1080, 1080)
    assert plan.crop is not None and plan.crop.height == 1080 and plan.crop.x == 0
    assert plan.crop.y > (1920 - 1080) // 2  # below the centre
    assert plan.crop.y <= int(1920 * 0.55) and plan.crop.y + 1080 >= int(1920 * 0.85) - 20  # pulled 1% inward
    assert plan.crop.y % 2 == 0 and plan.detail_kept > 0.97


def test_pad_when_the_crop_would_cut_detail_or_too_much_area() -> None:
    spread = saliency_with_band(170, 96, 0.05, 0.95)  # detail from top to bottom
    assert plan_rendition("1:1", PORTRAIT, spread, Policy()).method == "pad"
    centred = saliency_with_band(170, 96, 0.45, 0.55)
    wide = plan_rendition("16:9", PORTRAIT, centred, Policy())
    assert wide.method == "pad" and wide.area_kept < 0.5 and wide.crop is None  # keeps too little of the frame


def test_policy_can_force_either_method() -> None:
    spread = saliency_with_band(170, 96, 0.05, 0.95)
    assert plan_rendition("1:1", PORTRAIT, spread, Policy(method="crop")).method == "crop"
    centred = saliency_with_band(170, 96, 0.4, 0.6)
    assert plan_rendition("1:1", PORTRAIT, centred, Policy(method="pad")).method == "pad"
    assert plan_rendition("1:1", PORTRAIT, None, Policy(method="crop")).crop.y == 420  # type: ignore[union-attr]


def test_filters() -> None:
    crop = plan_rendition("1:1", PORTRAIT, None, Policy(method="crop"))
    assert video_filter(crop, PORTRAIT) == "[0:v]crop=1080:1080:0:420,scale=1080:1080:flags=lanczos,setsar=1[v]"
    pad = plan_rendition("16:9", PORTRAIT, None, Policy(method="pad"))
    graph = video_filter(pad, PORTRAIT)
    assert "gblur" in graph and "scale=608:1080" in graph and "overlay=(1920-608)/2:(1080-1080)/2" in graph
    square = video_filter(plan_rendition("1:1", size(180, 320), None, Policy(method="pad")), size(180, 320))
    assert "scale=102:180" in square  # the whole master, fitted, even-sized
