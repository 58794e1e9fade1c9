"""Loudness: ebur128's summary parsed, the compliance score's shape, and real measurements of generated tones."""

from pathlib import Path

import numpy as np
import pytest

from admint.scorer.loudness import (
    Loudness,
    LoudnessTarget,
    loudness_compliance,
    measure_loudness,
    parse_ebur128_summary,
)
from tests.support.degrade import amplitude_for, tone

pytestmark = pytest.mark.unit

SUMMARY = """[Parsed_ebur128_0 @ 0x5651] t: 2.99998    TARGET:-23 LUFS    M: -34.1 S: -34.1     I: -34.1 LUFS
[Parsed_ebur128_0 @ 0x5651] Summary:

  Integrated loudness:
    I:         -16.2 LUFS
    Threshold: -26.2 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  True peak:
    Peak:       -3.1 dBFS
"""


def test_summary_is_parsed_and_missing_values_are_none() -> None:
    assert parse_ebur128_summary(SUMMARY) == Loudness(-16.2, -3.1)
    assert parse_ebur128_summary("no audio here") == Loudness(None, None)
    silent = SUMMARY.replace("-16.2 LUFS", "-inf LUFS").replace("-3.1 dBFS", "-inf dBFS")
    assert parse_ebur128_summary(silent) == Loudness(None, None)


def test_compliance_is_full_on_target_and_falls_off_either_way() -> None:
    assert loudness_compliance(Loudness(-16.0, -3.0)) == 100.0
    assert loudness_compliance(Loudness(-16.9, -1.0)) == 100.0
    assert loudness_compliance(Loudness(-18.0, -3.0)) == pytest.approx(100 * np.exp(-(1 / 5) ** 2))
    assert loudness_compliance(Loudness(-26.0, -12.0)) < 5
    assert loudness_compliance(Loudness(-8.0, -3.0)) < 20
    assert loudness_compliance(Loudness(-16.0, 0.5)) == pytest.approx(100 * np.exp(-1.5 / 1.5))
    assert loudness_compliance(Loudness(None, None)) == 0.0
    assert loudness_compliance(Loudness(-70.0, None)) == 0.0  # silence
    stricter = LoudnessTarget(integrated_lufs=-14.0, tolerance_lu=0.5)
    assert loudness_compliance(Loudness(-16.0, -3.0), stricter) < loudness_compliance(Loudness(-16.0, -3.0))


async def test_tones_at_target_quiet_and_clipped_score_as_they_should(tmp_path: Path) -> None:
    on_target = await measure_loudness(tone(tmp_path / "target.wav", amplitude_for(-16.0)))
    quiet = await measure_loudness(tone(tmp_path / "quiet.wav", amplitude_for(-26.0)))
    clipped = await measure_loudness(tone(tmp_path / "clipped.wav", 3.0, clip=True))
    assert on_target.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert quiet.integrated_lufs == pytest.approx(-26.0, abs=0.5)
    assert clipped.true_peak_dbtp is not None and clipped.true_peak_dbtp > -0.5
    assert loudness_compliance(on_target) > 95
    assert loudness_compliance(quiet) < 10
    assert loudness_compliance(clipped) < 10
