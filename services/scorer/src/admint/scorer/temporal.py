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
SPEED_LIMIT, SPEED_SCALE = 0.6, 0.6
"""Camera speed (diagonals per second) that is still comfortable, and the excess per e-fold."""
FROZEN_DIFFERENCE = 0.15
"""Mean luma change per step (levels) below which two frames are the same picture (a repeated frame decodes
to an exact copy; even slow drift moves more once it survives the encoder)."""
FROZEN_MIN_RUN = 3
"""Steps in a row before a freeze counts: 24→30 fps conversion repeats single frames, which nobody sees."""
BLACK_BRIGHTEST = 28.0
"""A frame whose 99th-percentile luma is below this (levels) is black (limited-range black decodes to 0)."""


def local_median(values: np.ndarray, width: int = 5) -> np.ndarray:
    """Moving median (edges padded with the end values): follows a fade's steady change, but not a single
    spike such as a cut, which therefore counts once instead of smearing over its neighbours."""
    half = width // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=1)


def temporal_flicker(signals: FrameSignals) -> float | None:
    """100·exp(−F/0.01), F = mean over steps of max(0, min(|r − r̄|/Y, 0.1) − 0.005), where r is the median
    residual luma change after compensating the global motion (the brightness change motion does not
    explain), r̄ its 5-step moving average and Y the frame's mean luma (at least 16): fades and a travelling
    light change r smoothly and cancel, flicker flips it every frame; relative to Y, as the eye sees it."""
    residual = signals.residual_dc
    if len(residual) < 3:
        return None
    brightness = np.maximum(signals.mean_luma[1:], 16.0)
    jitter = np.minimum(np.abs(residual - local_median(residual)) / brightness, FLICKER_CAP)
    return decay(float(np.maximum(0.0, jitter - FLICKER_VISIBLE).mean()), FLICKER_SCALE)


def camera_velocity(signals: FrameSignals) -> np.ndarray:
    """Global motion per step in frame diagonals per second (N−1 × 2)."""
    return signals.shift * signals.fps / signals.diagonal


def motion_smoothness(signals: FrameSignals) -> float | None:
    """100·exp(−J/0.15)·exp(−max(0, S − 0.6)/0.6), J = mean over steps of min(|v(i+1) − v(i)|, 1) and
    S = median |v|, with v the global (phase-correlation) motion in frame diagonals per second: a steady pan
    or dolly keeps v nearly constant, shake flips it every frame; S penalises whip-fast camera travel."""
    velocity = camera_velocity(signals)
    if len(velocity) < 2:
        return None
    jerk = np.minimum(np.linalg.norm(np.diff(velocity, axis=0), axis=1), SHAKE_CAP)
    speed = float(np.median(np.linalg.norm(velocity, axis=1)))
    return decay(float(jerk.mean()), SHAKE_SCALE) * decay(speed - SPEED_LIMIT, SPEED_SCALE) / 100.0


def black_frames(signals: FrameSignals) -> np.ndarray:
    """N booleans: which frames are black (99th-percentile luma below 28)."""
    return signals.bright_luma < BLACK_BRIGHTEST


def frozen_steps(signals: FrameSignals) -> np.ndarray:
    """N−1 booleans: steps inside a freeze (≥ 3 steps in a row with mean |Δluma| < 0.15 levels, both frames
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
