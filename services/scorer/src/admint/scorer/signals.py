"""One pass over consecutive frames that measures what the temporal dimensions share.

Global motion between two frames is estimated by phase correlation (one FFT pair per frame step): it is the
camera's translation, exact for pans and shake and ~20× cheaper here than dense Farneback flow, and it is what
both motion smoothness (its jerk) and flicker (the brightness change left after compensating it) need.
"""

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class FrameSignals:
    """Per-frame and per-step measurements of a frame sequence `fps` frames per second apart.

    Step i compares frame i and frame i + 1, so step arrays are one shorter than frame arrays.
    """

    fps: float
    luma: np.ndarray
    """N×H×W uint8 luma of every frame."""
    mean_luma: np.ndarray
    """N: mean luma per frame (levels)."""
    bright_luma: np.ndarray
    """N: 99th-percentile luma per frame (levels): how bright the brightest bit of the frame is."""
    difference: np.ndarray
    """N−1: mean |luma(i+1) − luma(i)| per step (levels)."""
    shift: np.ndarray
    """N−1 × 2: global translation (dx, dy) from frame i to i + 1, analysis pixels (phase correlation)."""
    residual_dc: np.ndarray
    """N−1: median of luma(i+1) − luma(i) shifted by the global motion: the brightness change that motion
    does not explain (levels)."""

    @property
    def diagonal(self) -> float:
        """Frame diagonal in analysis pixels."""
        return float(np.hypot(self.luma.shape[1], self.luma.shape[2]))

    @property
    def step_times_s(self) -> np.ndarray:
        """Time of the later frame of each step."""
        return np.arange(1, len(self.luma)) / self.fps

    @classmethod
    def measure(cls, frames: np.ndarray, fps: float, *,
                overlay_rows: tuple[int, int] | None = None) -> "FrameSignals":
        """Measure N×H×W×3 BGR uint8 frames (at least one). Motion and the residual are measured outside
        `overlay_rows` [start, end) when given: a burnt-in caption holds still while the picture moves and
        would pull the global motion towards zero."""
        luma = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames])
        hists = np.stack([cv2.calcHist([y], [0], None, [256], [0, 256]).ravel() for y in luma])
        cumulative = np.cumsum(hists, axis=1) / hists.sum(axis=1, keepdims=True)
        bright = np.array([np.searchsorted(c, 0.99) for c in cumulative], dtype=np.float64)
        steps = len(luma) - 1
        difference = np.zeros(steps)
        shift = np.zeros((steps, 2))
        residual = np.zeros(steps)
        rows = motion_rows(luma.shape[1], overlay_rows)
        # The window is applied here, not passed in: OpenCV 5.0's phaseCorrelate windows its inputs in place.
        window = cv2.createHanningWindow((luma.shape[2], rows.stop - rows.start), cv2.CV_32F)
        previous = luma[0].astype(np.float32) if len(luma) else None
        for i in range(steps):
            current = luma[i + 1].astype(np.float32)
            assert previous is not None
            difference[i] = float(cv2.absdiff(current, previous).mean())
            before, after = previous[rows], current[rows]
            (dx, dy), _ = cv2.phaseCorrelate(before * window, after * window)
            shift[i] = dx, dy
            residual[i] = _residual_dc(before, after, dx, dy)
            previous = current
        return cls(fps, luma, luma.reshape(len(luma), -1).mean(axis=1), bright, difference, shift, residual)


def motion_rows(height: int, overlay_rows: tuple[int, int] | None) -> slice:
    """The rows motion is measured on: all of them, or the taller strip above or below the overlay rows."""
    if overlay_rows is None:
        return slice(0, height)
    start, end = max(0, overlay_rows[0]), min(height, overlay_rows[1])
    above, below = slice(0, start), slice(end, height)
    chosen = above if start >= height - end else below
    return chosen if chosen.stop - chosen.start >= 16 else slice(0, height)


RESIDUAL_BLOCK = 4
"""The residual is taken on 4×4-pixel block means: continuous values (a median of integer pixel differences
sticks at 0 and then jumps) and 16× fewer of them."""


def _residual_dc(previous: np.ndarray, current: np.ndarray, dx: float, dy: float) -> float:
    """Median of current − previous moved by (dx, dy), over the part both frames see, on block means (a zoom
    or local motion leaves signed residuals at edges, which the median ignores; a brightness change moves
    all of them)."""
    h, w = current.shape
    translation = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
    moved = cv2.warpAffine(previous, translation, (w, h), flags=cv2.INTER_LINEAR)
    mx, my = min(w // 4, int(np.ceil(abs(dx))) + 2), min(h // 4, int(np.ceil(abs(dy))) + 2)
    inner = current[my:h - my, mx:w - mx] - moved[my:h - my, mx:w - mx]
    bh, bw = inner.shape[0] // RESIDUAL_BLOCK, inner.shape[1] // RESIDUAL_BLOCK
    blocks = cv2.resize(inner, (max(1, bw), max(1, bh)), interpolation=cv2.INTER_AREA)
    return float(np.median(blocks))
