"""Per-picture dimensions on synthetic frames: each falls when its own defect is added."""

import cv2
import numpy as np
import pytest

from admint.scorer.picture import (
    colourfulness,
    contrast,
    exposure,
    hasler_susstrunk,
    laplacian_variance,
    sharpness,
)
from tests.unit.scorer.synthetic import scene

pytestmark = pytest.mark.unit


def test_blur_costs_sharpness_and_more_blur_costs_more() -> None:
    sharp = scene(180, 320)
    scores = [sharpness(cv2.GaussianBlur(sharp, (0, 0), sigma)) if sigma else sharpness(sharp)
              for sigma in (0, 1.0, 2.5)]
    assert scores[0] >= 80, scores
    assert scores[0] > scores[1] + 15 > scores[2] + 30, scores


def test_sharpness_is_normalised_per_resolution() -> None:
    """The same scene drawn at 180×320 and at 1080×1920 scores alike; blurring either one costs alike."""
    small, master = scene(180, 320), scene(1080, 1920)
    assert abs(sharpness(small) - sharpness(master)) < 10
    assert abs(sharpness(cv2.GaussianBlur(small, (0, 0), 2.0))
               - sharpness(cv2.GaussianBlur(master, (0, 0), 12.0))) < 12


def test_a_sharp_overlay_does_not_make_a_blurred_picture_sharp() -> None:
    """Hard-edged caption text on a blurred picture: the score still reads the picture's blur."""
    blurred = cv2.GaussianBlur(scene(180, 320), (0, 0), 2.5)
    with_text = blurred.copy()
    cv2.putText(with_text, "BUY NOW", (50, 250), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
    assert laplacian_variance(with_text) < 2 * laplacian_variance(blurred)
    assert sharpness(with_text) < 40


def test_clipping_costs_exposure() -> None:
    frame = scene()
    blown = np.clip(frame.astype(np.float32) * 1.8 + 40, 0, 255).astype(np.uint8)
    crushed = np.clip(frame.astype(np.float32) * 0.5 - 60, 0, 255).astype(np.uint8)
    assert exposure(frame) == 100.0
    assert exposure(blown) < 30 and exposure(crushed) < 30
    # a small white caption (2% of the frame) is not over-exposure
    frame[10:14, :] = 255
    assert exposure(frame) == 100.0


def test_exposure_averages_over_frames() -> None:
    good = scene()
    blown = np.full_like(good, 255)
    one_in_four = exposure(np.stack([good, good, good, blown]))
    assert 70 < one_in_four < 80


def test_a_flat_picture_has_no_contrast_and_a_full_range_one_has_full() -> None:
    ramp = np.tile(np.linspace(0, 255, 96, dtype=np.uint8), (160, 1))
    full = cv2.cvtColor(ramp, cv2.COLOR_GRAY2BGR)
    washed = (full.astype(np.float32) * 0.3 + 120).astype(np.uint8)
    assert contrast(full) == 100.0
    assert contrast(np.full((160, 96, 3), 128, np.uint8)) == 0.0
    assert contrast(washed) == pytest.approx(100 * (196 - 120) / 255 / 0.6, abs=2)


def test_colourfulness_follows_hasler_susstrunk() -> None:
    grey = np.full((160, 96, 3), 128, np.uint8)
    assert hasler_susstrunk(grey) == 0.0 and colourfulness(grey) == 0.0
    # half pure red, half pure blue: rg = 255 or 0 → σ_rg = μ_rg = 127.5; yb = 127.5 or −255 → σ_yb = 191.25,
    # μ_yb = −63.75; so M = hypot(127.5, 191.25) + 0.3·hypot(127.5, 63.75)
    split = np.zeros((160, 96, 3), np.uint8)
    split[:, :48] = (0, 0, 255)
    split[:, 48:] = (255, 0, 0)
    assert hasler_susstrunk(split) == pytest.approx(np.hypot(127.5, 191.25) + 0.3 * np.hypot(127.5, 63.75), rel=1e-4)
    frame = scene()
    desaturated = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    half = cv2.addWeighted(frame, 0.5, desaturated, 0.5, 0)
    assert colourfulness(split) > colourfulness(frame) > colourfulness(half) + 15 > colourfulness(desaturated) + 30
