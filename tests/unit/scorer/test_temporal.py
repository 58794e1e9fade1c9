"""Temporal dimensions on synthetic frame sequences: flicker, motion smoothness, frozen and black segments."""

import numpy as np
import pytest

from admint.scorer.signals import FrameSignals
from admint.scorer.temporal import (
    black_segments,
    frozen_segments,
    frozen_steps,
    motion_smoothness,
    temporal_flicker,
)
from tests.unit.scorer.synthetic import camera, gain, shaken, steady_pan

pytestmark = pytest.mark.unit
FPS = 30.0


def signals(frames: np.ndarray) -> FrameSignals:
    return FrameSignals.measure(frames, FPS)


def test_phase_correlation_recovers_the_pan() -> None:
    measured = signals(steady_pan(speed=0.8))  # the camera moves right, so the picture moves left
    assert np.allclose(measured.shift[:, 0], -0.8, atol=0.35) and np.allclose(measured.shift[:, 1], 0, atol=0.1)
    assert np.all(np.abs(measured.residual_dc) < 0.5)  # moving content alone leaves no brightness change


def test_brightness_jitter_is_flicker_but_a_pan_or_a_fade_is_not() -> None:
    pan = steady_pan()
    jitter = np.random.default_rng(2).uniform(0.9, 1.1, len(pan))
    fade = np.linspace(1.0, 0.4, len(pan))
    assert temporal_flicker(signals(pan)) == pytest.approx(100.0, abs=1)
    assert (temporal_flicker(signals(gain(pan, fade))) or 0.0) > 90
    assert (temporal_flicker(signals(gain(pan, jitter))) or 100.0) < 20
    subtle = temporal_flicker(signals(gain(pan, 1 + (jitter - 1) / 5)))  # ±2%: visible, but less so
    assert subtle is not None and 20 < subtle < 90


def test_one_flash_costs_less_than_steady_flicker() -> None:
    pan = steady_pan()
    flash = np.ones(len(pan))
    flash[20] = 1.5
    flicker = np.where(np.arange(len(pan)) % 2 == 0, 1.1, 0.9)
    once, always = temporal_flicker(signals(gain(pan, flash))), temporal_flicker(signals(gain(pan, flicker)))
    assert once is not None and always is not None
    assert once > 60 > 5 > always


def test_shake_costs_smoothness_and_a_steady_pan_does_not() -> None:
    steady, shaky = motion_smoothness(signals(steady_pan())), motion_smoothness(signals(shaken()))
    assert steady is not None and shaky is not None
    assert steady > 95 and shaky < 40
    gentle = motion_smoothness(signals(shaken(amplitude=0.8)))
    assert gentle is not None and shaky < gentle < steady


def test_a_whip_fast_pan_costs_smoothness_even_when_steady() -> None:
    # 16 px per frame on a 180×320 frame ≈ 1.3 frame diagonals per second
    whip = motion_smoothness(signals(steady_pan(speed=16.0)))
    assert whip is not None and whip < 40


def test_a_frozen_half_costs_half_the_steps_and_single_repeats_are_free() -> None:
    pan = steady_pan(frames=40)
    frozen = pan.copy()
    frozen[20:] = pan[20]
    assert frozen_segments(signals(pan)) == 100.0
    steps = frozen_steps(signals(frozen))
    assert steps[20:].all() and not steps[:20].any()  # step i compares frames i and i + 1
    assert frozen_segments(signals(frozen)) == pytest.approx(100 * (1 - 19 / 39) ** 2, abs=0.5)
    # 24→30 fps conversion repeats every fourth frame: never three in a row, never a freeze
    pulldown = np.stack([pan[i - i // 5] for i in range(40)])
    assert frozen_segments(signals(pulldown)) == 100.0


def test_black_frames_are_counted_as_black_not_as_frozen() -> None:
    pan = steady_pan(frames=40)
    black = pan.copy()
    black[10:20] = 0
    measured = signals(black)
    assert black_segments(measured) == pytest.approx(100 * (1 - 10 / 40) ** 2)
    assert frozen_segments(measured) == 100.0
    # a dark but visible frame is not black
    dim = gain(pan, np.full(40, 0.25))
    assert black_segments(signals(dim)) == 100.0


def test_too_short_a_sample_says_nothing() -> None:
    two = signals(camera(np.zeros((2, 2))))
    assert temporal_flicker(two) is None and motion_smoothness(two) is None and frozen_segments(two) is None
    assert black_segments(two) == 100.0
