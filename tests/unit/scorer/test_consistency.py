"""Subject consistency: the same subject through a beat scores high, a swapped one low."""

import cv2
import numpy as np
import pytest

from admint.scorer.consistency import intersection, subject_consistency, subject_histogram
from tests.unit.scorer.synthetic import camera, gain, scene, steady_pan

pytestmark = pytest.mark.unit


def test_histogram_is_a_distribution_and_ignores_hue_of_grey_pixels() -> None:
    hist = subject_histogram(scene())
    assert hist.sum() == pytest.approx(1.0) and (hist >= 0).all()
    grey = np.full((320, 180, 3), 128, np.uint8)
    tinted = grey.copy()
    tinted[..., 2] += 12  # a faint cast: saturation stays under the colour threshold
    assert intersection(subject_histogram(grey), subject_histogram(tinted)) == pytest.approx(1.0)


def test_a_moving_camera_and_a_light_change_keep_the_subject() -> None:
    pan = steady_pan(frames=24)
    assert subject_consistency(pan) == 100.0
    assert (subject_consistency(gain(pan, np.linspace(1.0, 0.85, 24))) or 0.0) > 90


def test_a_swapped_subject_is_inconsistent_and_a_partly_swapped_one_in_between() -> None:
    frames = steady_pan(frames=24)
    other = camera(np.stack([np.arange(24) * 0.8, np.zeros(24)], axis=1), palette=1)
    half = np.concatenate([frames[:12], other[12:]])
    quarter = np.concatenate([frames[:18], other[18:]])
    scores = [subject_consistency(x) for x in (frames, quarter, half)]
    assert scores[0] == 100.0 and scores[2] is not None and scores[2] < 30
    assert scores[1] is not None and scores[2] < scores[1] < scores[0]


def test_frames_from_several_chunks_of_a_beat_can_be_given_as_a_list() -> None:
    chunk_a = steady_pan(frames=6)
    recoloured = cv2.cvtColor(chunk_a[-1], cv2.COLOR_BGR2HSV)
    recoloured[..., 0] = (recoloured[..., 0].astype(int) + 60) % 180
    chunk_b = [cv2.cvtColor(recoloured, cv2.COLOR_HSV2BGR)] * 6  # the model redrew it in other hues
    consistent = subject_consistency([*chunk_a, *chunk_a[::-1]])
    drifted = subject_consistency([*chunk_a, *chunk_b])
    assert consistent == 100.0 and drifted is not None and drifted < 50


def test_one_frame_says_nothing() -> None:
    assert subject_consistency(scene()[None]) is None
