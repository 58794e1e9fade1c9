"""Loudness compliance: integrated loudness (EBU R128 / ITU-R BS.1770) and true peak against a target.

Measured by ffmpeg's `ebur128=peak=true` filter in one decode of the audio; its end-of-file summary is parsed.
The default target is where mobile platforms normalise: −16 LUFS ± 1 LU, true peak at most −1 dBTP — the target the
stitcher levels its music bed to (and measures it against) since issue 14.
"""

import math
from dataclasses import dataclass
from pathlib import Path

from admint.scorer.curves import decay
from admint.scorer.media_tools import Loudness, measure_ebur128, parse_ebur128_summary

__all__ = ["Loudness", "LoudnessTarget", "loudness_compliance", "measure_loudness", "parse_ebur128_summary"]

LOUDNESS_SCALE_LU = 5.0
"""LU beyond the tolerance per Gaussian fall-off step of the loudness factor (−26 LUFS vs −16: ~4/100)."""
PEAK_SCALE_DB = 1.5
"""dB of true peak over the ceiling per e-fold of the peak factor."""
SILENCE_LUFS = -69.0
"""ebur128 reports −70 LUFS for silence (everything gated out)."""


@dataclass(frozen=True)
class LoudnessTarget:
    integrated_lufs: float = -16.0
    tolerance_lu: float = 1.0
    max_true_peak_dbtp: float = -1.0


async def measure_loudness(path: Path) -> Loudness:
    """Measure a file's first audio stream (ffmpeg decodes the audio only; admint.media.audio's ebur128 run, the
    same measurement the stitcher levels its music bed with)."""
    return await measure_ebur128(path)


def loudness_compliance(measured: Loudness, target: LoudnessTarget = LoudnessTarget()) -> float:
    """100·exp(−(d/5)²)·exp(−p/1.5), d = LU outside target ± tolerance, p = dB of true peak above the ceiling.
    Within tolerance and under the ceiling scores 100; 10 LU too quiet about 4; silence or no measurement
    0."""
    lufs = measured.integrated_lufs
    if lufs is None or lufs <= SILENCE_LUFS:
        return 0.0
    deviation = max(0.0, abs(lufs - target.integrated_lufs) - target.tolerance_lu)
    level = 100.0 * math.exp(-((deviation / LOUDNESS_SCALE_LU) ** 2))
    peak = measured.true_peak_dbtp
    over = 0.0 if peak is None else peak - target.max_true_peak_dbtp
    return level * decay(over, PEAK_SCALE_DB) / 100.0
