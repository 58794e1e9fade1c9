"""Join smoothness on synthetic two-beat masters: a clean crossfade or cut against glitches at the join."""

import numpy as np
import pytest

from admint.scorer.joins import join_scores, join_smoothness
from admint.scorer.signals import FrameSignals
from tests.unit.scorer.synthetic import camera

pytestmark = pytest.mark.unit
FPS = 30.0
BEAT = 45
"""Frames per beat (1.5 s)."""
JOIN_S = 30 / FPS
"""The join begins at frame 30; a 0.5 s crossfade spans frames 30–44."""


def beats() -> tuple[np.ndarray, np.ndarray]:
    path = np.stack([np.arange(BEAT) * 0.6, np.zeros(BEAT)], axis=1)
    return camera(path, palette=0), camera(path, palette=1)


def crossfaded() -> np.ndarray:
    a, b = beats()
    weights = (np.arange(15) + 1)[:, None, None, None] / 16
    mix = (a[30:45].astype(np.float32) * (1 - weights) + b[:15].astype(np.float32) * weights).astype(np.uint8)
    return np.concatenate([a[:30], mix, b[15:]])


def cut() -> np.ndarray:
    a, b = beats()
    return np.concatenate([a[:30], b[:BEAT]])


def measured(frames: np.ndarray) -> FrameSignals:
    return FrameSignals.measure(frames, FPS)


def test_a_clean_crossfade_is_smooth_and_a_flash_in_it_is_not() -> None:
    clean = crossfaded()
    flashed = clean.copy()
    flashed[37] = 255
    smooth = join_smoothness(measured(clean), [JOIN_S])
    glitch = join_smoothness(measured(flashed), [JOIN_S])
    assert smooth is not None and glitch is not None
    assert smooth > 90 and glitch < 10


def test_a_crossfade_that_came_out_as_a_hard_cut_is_a_glitch() -> None:
    assert (join_smoothness(measured(cut()), [JOIN_S]) or 0) < 20


def test_a_cut_is_smooth_when_cuts_were_asked_for_but_a_black_frame_at_it_is_not() -> None:
    clean = cut()
    dropped = clean.copy()
    dropped[30] = 0  # a black frame where the cut is
    assert (join_smoothness(measured(clean), [JOIN_S], kind="cut") or 0) > 90
    assert (join_smoothness(measured(dropped), [JOIN_S], kind="cut") or 100) < 20


def test_the_worst_join_counts_and_joins_away_from_the_glitch_stay_smooth() -> None:
    clean = np.concatenate([crossfaded(), crossfaded()[::-1]])
    clean[37] = 255  # glitch in the first join only
    second = (len(clean) - 45) / FPS
    scores = join_scores(measured(clean), [JOIN_S, second])
    assert scores[0] < 10 and scores[1] > 90
    assert join_smoothness(measured(clean), [JOIN_S, second]) == min(scores)


def test_no_joins_no_score() -> None:
    assert join_smoothness(measured(crossfaded()), []) is None
