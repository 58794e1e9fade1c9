"""Music bed: filter chain, loudness levelling, and a real encode of exactly the master's length."""

from pathlib import Path

import numpy as np
import pytest

from admint.media.audio import (
    BedRender,
    BedSettings,
    Loudness,
    bed_filter,
    bed_gain_db,
    bed_misses,
    corrected,
    measure_ebur128,
    measure_loudness,
    parse_ebur128_summary,
    parse_loudness,
    render_bed,
)
from admint.media.probe import probe
from admint.stitcher.offline_music import RATE, write_wav

pytestmark = pytest.mark.unit


def test_filter_trims_pads_and_fades_to_the_exact_length() -> None:
    chain = bed_filter(30.0, BedSettings(fade_in_s=0.5, fade_out_s=1.5), measured_lufs=-12.0)
    assert "apad" in chain and "atrim=0:30.000000" in chain
    assert "afade=t=in:st=0:d=0.500" in chain and "afade=t=out:st=28.500000:d=1.500" in chain
    assert "volume=-4.0dB" in chain  # -16 LUFS target from -12
    assert "alimiter=limit=0.7943" in chain  # -2 dBFS sample peak: 1 dB under the -1 dBTP true-peak ceiling
    short = bed_filter(2.0, BedSettings(fade_in_s=3, fade_out_s=3))
    assert "d=0.500" in short  # fades never eat more than a quarter each


def test_gain_is_bounded_and_silence_is_not_boosted() -> None:
    bed = BedSettings(loudness_lufs=-16.0, gain_db=0.0)
    assert bed_gain_db(bed, -20.0) == 4.0
    assert bed_gain_db(bed, -70.0) == 0.0
    assert bed_gain_db(bed, -50.0) == 20.0
    assert bed_gain_db(bed, None) == 0.0
    assert bed_gain_db(BedSettings(loudness_lufs=None, gain_db=-3.0), -10.0) == -3.0


def test_parse_loudness_reads_the_summary_integrated_value() -> None:
    summary = (
        "[Parsed_ebur128_0 @ 0x55] Summary:\n\n  Integrated loudness:\n    I:         -14.2 LUFS\n"
        "    Threshold: -24.3 LUFS\n\n  Loudness range:\n    LRA:         0.6 LU\n"
    )
    assert parse_loudness(summary) == -14.2
    assert parse_loudness(summary.replace("-14.2", "-inf")) is None  # digital silence
    assert parse_loudness("nothing") is None


async def test_a_short_quiet_tone_becomes_a_levelled_aac_bed_of_the_requested_length(tmp_path: Path) -> None:
    t = np.arange(int(RATE * 1.5)) / RATE
    tone = 0.05 * np.sin(2 * np.pi * 330 * t)
    src = write_wav(np.stack([tone, tone]).astype(np.float32), tmp_path / "tone.wav")
    out = await render_bed(src, 3.0, tmp_path / "bed.m4a", BedSettings(loudness_lufs=-16.0, gain_db=0.0))
    info = await probe(out)
    assert (info.has_audio, info.audio_codec, info.audio_rate) == (True, "aac", 48000)
    assert info.duration_s == pytest.approx(3.0, abs=0.03)  # padded with silence past the 1.5 s source
    loud = await measure_loudness(out)
    assert loud is not None and -19.0 < loud < -13.0


def test_ebur128_summary_gives_integrated_loudness_and_true_peak() -> None:
    summary = ("[Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -16.3 LUFS\n"
               "    Threshold: -26.4 LUFS\n\n  True peak:\n    Peak:       -2.7 dBFS\n")
    assert parse_ebur128_summary(summary) == Loudness(-16.3, -2.7)
    assert parse_ebur128_summary(summary.replace("-16.3", "-inf")) == Loudness(None, -2.7)


def test_a_bed_that_missed_is_corrected_by_what_it_missed_by() -> None:
    bed = BedSettings()
    assert not bed_misses(bed, Loudness(-16.4, -3.0))
    assert bed_misses(bed, Loudness(-18.1, -3.0))  # the old -2 dB bed: 2.1 LU under
    assert bed_misses(bed, Loudness(-16.0, -0.4))  # on level, over the true-peak ceiling
    assert not bed_misses(bed, Loudness(-70.0, None))  # silence is never boosted
    quiet = corrected(bed, BedRender(3.0, -2.0, Loudness(-18.1, -3.0)))
    assert (quiet.gain_db, quiet.ceiling_dbfs) == (5.1, -2.0)
    peaky = corrected(bed, BedRender(3.0, -2.0, Loudness(-16.0, -0.4)))
    assert (peaky.gain_db, peaky.ceiling_dbfs) == (3.0, -2.9)


async def test_a_peaky_quiet_source_is_delivered_at_the_target_under_the_true_peak_ceiling(tmp_path: Path) -> None:
    """Clicks on a quiet tone: levelling it to -16 LUFS pushes the clicks far over the ceiling; the limiter and
    the measured correction bring it in."""
    t = np.arange(RATE * 6) / RATE
    signal = 0.02 * np.sin(2 * np.pi * 220 * t)
    signal[:: RATE // 4] = 0.9  # a click every 250 ms
    src = write_wav(np.stack([signal, signal]).astype(np.float32), tmp_path / "clicks.wav")
    out = await render_bed(src, 6.0, tmp_path / "bed.m4a", BedSettings(fade_in_s=0.1, fade_out_s=0.1))
    measured = await measure_ebur128(out)
    assert measured.integrated_lufs is not None and abs(measured.integrated_lufs + 16.0) <= 1.0
    assert measured.true_peak_dbtp is not None and measured.true_peak_dbtp <= -1.0
    assert not list(tmp_path.glob("bed.try*"))  # the other tries are cleaned up
