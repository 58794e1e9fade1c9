"""Temporal dimensions: flicker, motion smoothness, frozen segments, black segments.

Pure functions of FrameSignals (measured once per sample). Each returns None when the sample is too short to
say anything (fewer than a few frame steps).
"""

import numpy as np

from admint.scorer.curves import decay, share_score
from admint.scorer.signals import FrameSignals

FLICKER_VISIBLE = 0.005
"""Relative brightness jitter below this (0.5%, under the eye's ~1% flicker threshold) is free: the encoder's
P/B-frame pattern alone wobbles the mean by ~0.1 level."""
FLICKER_CAP = 0.10
"""One frame step counts at most this much (a single cut or flash is one event, not a disaster)."""
FLICKER_SCALE = 0.01
"""Mean visible relative jitter per e-fold of the flicker score (1% of the brightness)."""
SHAKE_SCALE = 0.15
"""Mean jerk (diagonals per second of velocity change per step) per e-fold of the smoothness score."""
SHAKE_CAP = 1.0
JERK_NOISE = 0.03
"""Diagonals per second of jerk that are measurement noise (phase correlation's sub-pixel estimate wobbles by
~0.2 px with the fractional part of the motion), ignored."""
SPEED_LIMIT, SPEED_SCALE = 0.6, 0.6
"""Camera speed (diagonals per second) that is still comfortable, and the excess per e-fold."""
FROZEN_DIFFERENCE = 0.05
"""Mean luma change per step (levels) below which two frames are the same picture: a repeated frame decodes to
an exact copy (0.00–0.02), while the slowest real camera drift of the offline model at a beat's start or end
still changes ~0.1 level per frame at the analysis size."""
FROZEN_MIN_RUN = 3
"""Steps in a row before a freeze counts: 24→30 fps conversion repeats single frames, which nobody sees."""
BLACK_BRIGHTEST = 28.0
"""A frame whose 99th-percentile luma is below this (levels) is black (limited-range black decodes to 0)."""


def median_of_three(values: np.ndarray) -> np.ndarray:
    """Each value replaced by the median of itself and its two neighbours (ends kept): keeps ramps and steps,
    removes every local peak or dip, including an every-other-frame alternation."""
    padded = np.pad(values, 1, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)


def temporal_flicker(signals: FrameSignals) -> float | None:
    """100·exp(−F/0.01), F = mean over frames of max(0, min(|B − med₃(B)|/Y, 0.1) − 0.005), where B is the
    brightness left unexplained by motion (the running sum of the motion-compensated residual luma change),
    med₃ the median of each frame and its two neighbours, and Y the frame's mean luma (at least 16): a fade,
    a travelling light or a cut changes B monotonically or in one step and leaves nothing, while flicker
    makes a peak or dip in B at every affected frame; relative to Y, as the eye sees it."""
    residual = signals.residual_dc
    if len(residual) < 3:
        return None
    unexplained = np.concatenate([[0.0], np.cumsum(residual)])
    brightness = np.maximum(signals.mean_luma, 16.0)
    jitter = np.minimum(np.abs(unexplained - median_of_three(unexplained)) / brightness, FLICKER_CAP)
    return decay(float(np.maximum(0.0, jitter - FLICKER_VISIBLE).mean()), FLICKER_SCALE)


def camera_velocity(signals: FrameSignals) -> np.ndarray:
    """Global motion per step in frame diagonals per second (N−1 × 2)."""
    return signals.shift * signals.fps / signals.diagonal


def motion_smoothness(signals: FrameSignals) -> float | None:
    """100·exp(−J/0.15)·exp(−max(0, S − 0.6)/0.6), J = mean over steps of clip(|v(i+1) − v(i)| − 0.03, 0, 1)
    and S = median |v|, with v the global (phase-correlation) motion in frame diagonals per second: a steady
    pan or dolly keeps v nearly constant, shake flips it every frame; S penalises whip-fast camera travel.
    Steps touching a black frame are left out (nothing moves in black)."""
    velocity = camera_velocity(signals)
    if len(velocity) < 2:
        return None
    black = black_frames(signals)
    seen = ~black[1:] & ~black[:-1]  # a black frame has no motion to measure
    jerk = np.clip(np.linalg.norm(np.diff(velocity, axis=0), axis=1) - JERK_NOISE, 0.0, SHAKE_CAP)
    jerk = jerk[seen[1:] & seen[:-1]]
    if len(jerk) == 0:
        return None
    speed = float(np.median(np.linalg.norm(velocity[seen], axis=1)))
    return decay(float(jerk.mean()), SHAKE_SCALE) * decay(speed - SPEED_LIMIT, SPEED_SCALE) / 100.0


def black_frames(signals: FrameSignals) -> np.ndarray:
    """N booleans: which frames are black (99th-percentile luma below 28)."""
    return signals.bright_luma < BLACK_BRIGHTEST


def frozen_steps(signals: FrameSignals) -> np.ndarray:
    """N−1 booleans: steps inside a freeze (≥ 3 steps in a row with mean |Δluma| < 0.05 levels, both frames
    not black, since black segments are the black dimension's business)."""
    black = black_frames(signals)
    still = (signals.difference < FROZEN_DIFFERENCE) & ~black[1:] & ~black[:-1]
    frozen = np.zeros_like(still)
    start = None
    for i, flag in enumerate([*still.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= FROZEN_MIN_RUN:
                frozen[start:i] = True
            start = None
    return frozen


def frozen_segments(signals: FrameSignals) -> float | None:
    """100·(1 − f)², f = share of frame steps inside a freeze (see frozen_steps)."""
    if len(signals.difference) < FROZEN_MIN_RUN:
        return None
    return share_score(float(frozen_steps(signals).mean()))


def black_segments(signals: FrameSignals) -> float | None:
    """100·(1 − b)², b = share of black frames (99th-percentile luma < 28 levels: nothing on screen is
    brighter than near-black)."""
    if len(signals.luma) == 0:
        return None
    return share_score(float(black_frames(signals).mean()))
