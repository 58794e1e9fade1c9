"""Loudness compliance: integrated loudness (EBU R128 / ITU-R BS.1770) and true peak against a target.

Measured by ffmpeg's `ebur128=peak=true` filter in one decode of the audio; its end-of-file summary is parsed.
The default target is where mobile platforms normalise: −16 LUFS ± 1 LU, true peak at most −1 dBTP. (Our own
music bed is normalised to −16 and then lowered 2 dB, so a master with only the bed measures about −18 LUFS,
which scores 96.)
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path

from admint.scorer.curves import decay
from admint.scorer.media_tools import ffmpeg_report

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


@dataclass(frozen=True)
class Loudness:
    """What ebur128 measured; None where the summary had no finite value (no audio, silence)."""

    integrated_lufs: float | None
    true_peak_dbtp: float | None


_NUMBER = r"(-?(?:\d+(?:\.\d*)?|inf))"
_INTEGRATED = re.compile(r"Integrated loudness:\s*\n\s*I:\s+" + _NUMBER + r"\s+LUFS")
_TRUE_PEAK = re.compile(r"True peak:\s*\n\s*Peak:\s+" + _NUMBER + r"\s+dBFS")


def _finite(found: list[str]) -> float | None:
    if not found:
        return None
    value = float(found[-1])
    return value if math.isfinite(value) else None


def parse_ebur128_summary(report: str) -> Loudness:
    """Integrated loudness and true peak from the Summary block ebur128 prints at the end of a run (the last
    one, should a report hold several)."""
    return Loudness(_finite(_INTEGRATED.findall(report)), _finite(_TRUE_PEAK.findall(report)))


async def measure_loudness(path: Path) -> Loudness:
    """Measure a file's first audio stream (ffmpeg decodes the audio only)."""
    report = await ffmpeg_report("-i", str(path), "-vn", "-sn", "-map", "0:a:0", "-af",
                                 "ebur128=peak=true:framelog=verbose", "-f", "null", "-", timeout_s=300)
    return parse_ebur128_summary(report)


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
