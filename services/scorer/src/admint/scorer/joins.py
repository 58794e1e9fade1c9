"""Join smoothness at a master's transitions: does the picture change the way the transition promises?

A crossfade spreads the whole change between two beats evenly over its frames; a cut puts it into exactly one
frame step. A glitch (a flash, a black or stale frame, a jump) adds frame steps far larger than that, which
is what is measured, relative to the change the join has to make and to the clip's ordinary motion.
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np

from admint.scorer.curves import decay
from admint.scorer.signals import FrameSignals

TransitionKind = Literal["crossfade", "cut"]
MARGIN_S = 0.25
"""Seconds searched on each side of a transition's span."""
TYPICAL_FLOOR = 0.5
"""Levels: the ordinary step change is taken as at least this (a still clip must not make every join look
like a spike)."""
SPIKE_ALLOWANCE, SPIKE_SCALE = 2.0, 4.0
"""A step up to twice the expected one is free; beyond that, each 4× costs an e-fold."""


def join_windows(signals: FrameSignals, transitions_s: Sequence[float],
                 crossfade_s: float) -> list[np.ndarray]:
    """Per transition, the indices of the frame steps within [t − 0.25 s, t + crossfade + 0.25 s]."""
    times = signals.step_times_s
    return [np.nonzero((times >= t - MARGIN_S) & (times <= t + crossfade_s + MARGIN_S))[0]
            for t in transitions_s]


def typical_step(signals: FrameSignals, windows: Sequence[np.ndarray]) -> float:
    """Median per-step luma change away from every join (levels, at least 0.5)."""
    away = np.ones(len(signals.difference), dtype=bool)
    for window in windows:
        away[window] = False
    pool = signals.difference[away] if away.any() else signals.difference
    return max(TYPICAL_FLOOR, float(np.median(pool)) if len(pool) else TYPICAL_FLOOR)


def join_score(signals: FrameSignals, window: np.ndarray, typical: float, kind: TransitionKind,
               crossfade_s: float) -> float:
    """100·exp(−max(0, R − 2)/4) for one join, R = largest step in the window / the expected step. Expected:
    for a crossfade, the larger of the typical step and D/n (D = mean |Δluma| between the frames just before
    and after the window, n = crossfade frames); for a cut the single largest step is the cut itself, so it
    is set aside and the rest are compared with the typical step."""
    if len(window) == 0:
        return 100.0
    steps = np.sort(signals.difference[window])
    expected = typical
    if kind == "cut":
        steps = steps[:-1]
    else:
        first, last = int(window[0]), int(window[-1]) + 1
        across = float(np.abs(signals.luma[last].astype(np.float32) - signals.luma[first]).mean())
        expected = max(typical, across / max(1.0, crossfade_s * signals.fps))
    if len(steps) == 0:
        return 100.0
    return decay(float(steps[-1]) / expected - SPIKE_ALLOWANCE, SPIKE_SCALE)


def join_scores(signals: FrameSignals, transitions_s: Sequence[float], *, kind: TransitionKind = "crossfade",
                crossfade_s: float = 0.5) -> list[float]:
    """One score per transition (see join_score). `transitions_s` are the times the joins begin."""
    span = crossfade_s if kind == "crossfade" else 0.0
    windows = join_windows(signals, transitions_s, span)
    typical = typical_step(signals, windows)
    return [join_score(signals, window, typical, kind, span) for window in windows]


def join_smoothness(signals: FrameSignals, transitions_s: Sequence[float], *,
                    kind: TransitionKind = "crossfade", crossfade_s: float = 0.5) -> float | None:
    """The worst join's score (a viewer remembers the one glitch, not the average); None without joins."""
    scores = join_scores(signals, transitions_s, kind=kind, crossfade_s=crossfade_s)
    return min(scores) if scores else None
