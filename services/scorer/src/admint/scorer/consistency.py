"""Subject consistency within a beat: does the subject keep its look from frame to frame and chunk to chunk?

Compared by colour: a hue × saturation histogram of the centre of the frame (where the storyboard frames the
subject), with unsaturated and dark pixels binned by brightness instead of their meaningless hue. Hue and
saturation survive camera moves, the light sweep and mild exposure drift; a model that redraws the product in
other colours, or swaps it, changes them.
"""

from collections.abc import Sequence
from itertools import combinations

import cv2
import numpy as np

from admint.scorer.curves import ramp

HUE_BINS, SATURATION_BINS, GREY_BINS = 12, 3, 4
GREY_SATURATION, DARK_VALUE = 48, 40
"""Pixels below this saturation or value are grey/dark: binned by value, not hue."""
CENTRE = (0.2, 0.2, 0.8, 0.8)
"""(x0, y0, x1, y1) fractions of the frame that hold the subject."""
SIMILAR_LOW, SIMILAR_HIGH = 0.45, 0.85
"""Mean histogram intersection that scores 0 and 100."""


def subject_histogram(frame: np.ndarray) -> np.ndarray:
    """Colour histogram (shares, sums to 1) of the frame's centre: 12 hues × 3 saturations + 4 grey levels."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = CENTRE
    centre = frame[round(h * y0):round(h * y1), round(w * x0):round(w * x1)]
    hsv = cv2.cvtColor(centre, cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.int32)
    hue, sat, val = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    colour = (sat >= GREY_SATURATION) & (val >= DARK_VALUE)
    colour_bin = (hue * HUE_BINS // 180) * SATURATION_BINS + (sat - GREY_SATURATION) * SATURATION_BINS // (
        256 - GREY_SATURATION)
    grey_bin = HUE_BINS * SATURATION_BINS + val * GREY_BINS // 256
    bins = HUE_BINS * SATURATION_BINS + GREY_BINS
    counts = np.bincount(np.where(colour, colour_bin, grey_bin), minlength=bins)
    return counts / max(1, counts.sum())


def intersection(a: np.ndarray, b: np.ndarray) -> float:
    """Histogram intersection Σ min(a, b): 1 for the same colour distribution, 0 for disjoint ones."""
    return float(np.minimum(a, b).sum())


def subject_consistency(frames: np.ndarray | Sequence[np.ndarray]) -> float | None:
    """100·clip((S − 0.45)/0.40, 0, 1), S = mean pairwise histogram intersection of the frames' centre
    colour histograms (every pair, so a change halfway costs as much as it looks). Give it frames of ONE beat
    (any number of its chunks); None for fewer than two frames."""
    hists = [subject_histogram(f) for f in frames]
    if len(hists) < 2:
        return None
    similarity = float(np.mean([intersection(a, b) for a, b in combinations(hists, 2)]))
    return ramp(similarity, SIMILAR_LOW, SIMILAR_HIGH)
