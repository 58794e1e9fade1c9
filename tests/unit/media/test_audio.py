"""Music bed: filter chain, loudness levelling, and a real encode of exactly the master's length."""

from pathlib import Path

import numpy as np
import pytest

from admint.media.audio import (
    BedSettings,
    bed_filter,
    bed_gain_db,
    measure_loudness,
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
    assert "volume=-6.0dB" in chain  # -16 LUFS target from -12, then the bed's -2 dB
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
