"""The music bed: any audio file in, an AAC 48 kHz track of exactly the master's length out.

An audio-only encode, kept apart from the video so a broken or missing track never costs a video re-encode: the
stitcher muxes the result with stream copy, or delivers without it. Loudness is normalised in two cheap passes
(an EBU R128 measurement, then one gain), so beds from any provider sit at the same level.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path

from admint.media.ffmpeg import ffmpeg, ffmpeg_report
from admint.media.house import HOUSE

MAX_GAIN_DB = 20.0


@dataclass(frozen=True)
class BedSettings:
    fade_in_s: float = 0.5
    fade_out_s: float = 1.5
    gain_db: float = -2.0
    """Applied on top of loudness normalisation: a bed sits a little under full level."""
    loudness_lufs: float | None = -16.0
    """Integrated loudness target (EBU R128); None keeps the source level."""


def bed_gain_db(bed: BedSettings, measured_lufs: float | None) -> float:
    """Gain that brings the measured loudness to the target (bounded; silence is not boosted)."""
    if bed.loudness_lufs is None or measured_lufs is None or not math.isfinite(measured_lufs):
        return bed.gain_db
    if measured_lufs < -60:
        return bed.gain_db
    gain = max(-MAX_GAIN_DB, min(MAX_GAIN_DB, bed.loudness_lufs - measured_lufs))
    return round(gain + bed.gain_db, 2)


def bed_filter(duration_s: float, bed: BedSettings, measured_lufs: float | None = None) -> str:
    """The ffmpeg audio filter chain: stereo 48 kHz, levelled, exactly `duration_s` long, faded in and out."""
    if duration_s <= 0:
        raise ValueError("duration must be positive")
    fade_in = min(bed.fade_in_s, duration_s / 4)
    fade_out = min(bed.fade_out_s, duration_s / 4)
    chain = [
        f"aresample={HOUSE.audio_rate}",
        f"aformat=sample_fmts=fltp:sample_rates={HOUSE.audio_rate}:channel_layouts=stereo",
        f"volume={bed_gain_db(bed, measured_lufs)}dB",
        "alimiter=limit=0.891:level=disabled",  # -1 dBFS ceiling after a boost
        "apad",
        f"atrim=0:{duration_s:.6f}",
        "asetpts=PTS-STARTPTS",
    ]
    if fade_in > 0:
        chain.append(f"afade=t=in:st=0:d={fade_in:.3f}")
    if fade_out > 0:
        chain.append(f"afade=t=out:st={duration_s - fade_out:.6f}:d={fade_out:.3f}")
    return ",".join(chain)


INTEGRATED = re.compile(r"^\s*I:\s+(-?(?:\d+(?:\.\d*)?|inf))\s+LUFS", re.MULTILINE)


def parse_loudness(report: str) -> float | None:
    """The integrated loudness from the summary ffmpeg's ebur128 filter prints at the end (the whole file's)."""
    found = INTEGRATED.findall(report)
    if not found:
        return None
    value = float(found[-1])
    return value if math.isfinite(value) else None


async def measure_loudness(source: Path) -> float | None:
    """Integrated loudness of a file in LUFS (None when it has no measurable audio)."""
    report = await ffmpeg_report("-i", str(source), "-vn", "-af", "ebur128", "-f", "null", "-", timeout_s=120)
    return parse_loudness(report)


async def render_bed(source: Path, duration_s: float, out: Path, bed: BedSettings | None = None) -> Path:
    """Encode `source` into an AAC (house audio settings) .m4a of exactly `duration_s` seconds."""
    bed = bed or BedSettings()
    measured = await measure_loudness(source) if bed.loudness_lufs is not None else None
    await ffmpeg(
        "-i", str(source), "-vn", "-af", bed_filter(duration_s, bed, measured), "-t", f"{duration_s:.6f}",
        *HOUSE.audio_args(), "-aac_coder", "fast", "-movflags", "+faststart", str(out),
        timeout_s=300,
    )
    return out
