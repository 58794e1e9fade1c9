"""The music bed: any audio file in, an AAC 48 kHz track of exactly the master's length out, at the loudness target.

An audio-only encode, kept apart from the video so a broken or missing track never costs a video re-encode: the
stitcher muxes the result with stream copy (and the exporter copies it into every rendition), or delivers without
it. The bed must meet the platforms' audio target (EBU R128: −16 LUFS integrated ± 1 LU, true peak ≤ −1 dBTP) *as
delivered*, so the finished AAC file is measured, not the source: one measurement of the source sets the gain, the
bed is rendered (gain, a peak limiter with a margin under the true-peak ceiling, fades, AAC), measured again with
ffmpeg's ebur128 (true peak on), and rendered once more with a corrected gain (and a lower limiter ceiling) when it
missed — the fades, the limiter and the AAC encoder all move the result a little.
"""

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from admint.media.ffmpeg import ffmpeg, ffmpeg_report
from admint.media.house import HOUSE

MAX_GAIN_DB = 20.0


@dataclass(frozen=True)
class BedSettings:
    fade_in_s: float = 0.5
    fade_out_s: float = 1.5
    gain_db: float = 0.0
    """Offset from the loudness target (the delivered bed aims at loudness_lufs + gain_db)."""
    loudness_lufs: float | None = -16.0
    """Integrated loudness target of the delivered bed (EBU R128); None keeps the source level."""
    max_true_peak_dbtp: float = -1.0
    """True-peak ceiling of the delivered bed."""
    tolerance_lu: float = 0.5
    """How far from the target a rendered bed may land before it is rendered again with a corrected gain (the
    platforms allow ± 1 LU; aiming tighter leaves room for the encoder)."""
    limiter_margin_db: float = 1.0
    """The limiter's sample-peak ceiling sits this far under the true-peak ceiling (inter-sample peaks and the
    AAC encoder add to the sample peak)."""
    corrections: int = 2
    """Re-renders allowed when the measured bed misses the target."""

    @property
    def target_lufs(self) -> float | None:
        return None if self.loudness_lufs is None else self.loudness_lufs + self.gain_db


def bed_gain_db(bed: BedSettings, measured_lufs: float | None) -> float:
    """Gain that brings the measured loudness to the target (bounded; silence is not boosted)."""
    if bed.loudness_lufs is None or measured_lufs is None or not math.isfinite(measured_lufs):
        return bed.gain_db
    if measured_lufs < -60:
        return bed.gain_db
    gain = max(-MAX_GAIN_DB, min(MAX_GAIN_DB, bed.loudness_lufs - measured_lufs))
    return round(gain + bed.gain_db, 2)


def bed_filter(duration_s: float, bed: BedSettings, measured_lufs: float | None = None, *,
               gain_db: float | None = None, ceiling_dbfs: float | None = None) -> str:
    """The ffmpeg audio filter chain: stereo 48 kHz, levelled, limited, exactly `duration_s` long, faded in and
    out. `gain_db` overrides the gain derived from `measured_lufs`; `ceiling_dbfs` the limiter's ceiling."""
    if duration_s <= 0:
        raise ValueError("duration must be positive")
    ceiling = ceiling_dbfs if ceiling_dbfs is not None else bed.max_true_peak_dbtp - bed.limiter_margin_db
    fade_in = min(bed.fade_in_s, duration_s / 4)
    fade_out = min(bed.fade_out_s, duration_s / 4)
    chain = [
        f"aresample={HOUSE.audio_rate}",
        f"aformat=sample_fmts=fltp:sample_rates={HOUSE.audio_rate}:channel_layouts=stereo",
        f"volume={gain_db if gain_db is not None else bed_gain_db(bed, measured_lufs)}dB",
        f"alimiter=limit={_linear(ceiling):.4f}:level=disabled",
        "apad",
        f"atrim=0:{duration_s:.6f}",
        "asetpts=PTS-STARTPTS",
    ]
    if fade_in > 0:
        chain.append(f"afade=t=in:st=0:d={fade_in:.3f}")
    if fade_out > 0:
        chain.append(f"afade=t=out:st={duration_s - fade_out:.6f}:d={fade_out:.3f}")
    return ",".join(chain)


def _linear(db: float) -> float:
    return float(10 ** (min(0.0, db) / 20))


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


@dataclass(frozen=True)
class Loudness:
    """What ebur128 measured; None where the summary had no finite value (no audio, digital silence)."""

    integrated_lufs: float | None
    true_peak_dbtp: float | None


_NUMBER = r"(-?(?:\d+(?:\.\d*)?|inf))"
_SUMMARY_INTEGRATED = re.compile(r"Integrated loudness:\s*\n\s*I:\s+" + _NUMBER + r"\s+LUFS")
_SUMMARY_TRUE_PEAK = re.compile(r"True peak:\s*\n\s*Peak:\s+" + _NUMBER + r"\s+dBFS")


def _last_finite(found: list[str]) -> float | None:
    if not found:
        return None
    value = float(found[-1])
    return value if math.isfinite(value) else None


def parse_ebur128_summary(report: str) -> Loudness:
    """Integrated loudness and true peak from the Summary block ebur128 prints at the end of a run (the last
    one, should a report hold several)."""
    return Loudness(_last_finite(_SUMMARY_INTEGRATED.findall(report)),
                    _last_finite(_SUMMARY_TRUE_PEAK.findall(report)))


async def measure_ebur128(path: Path) -> Loudness:
    """Integrated loudness and true peak of a file's first audio stream (ffmpeg decodes the audio only)."""
    report = await ffmpeg_report("-i", str(path), "-vn", "-sn", "-map", "0:a:0", "-af",
                                 "ebur128=peak=true:framelog=verbose", "-f", "null", "-", timeout_s=300)
    return parse_ebur128_summary(report)


@dataclass(frozen=True)
class BedRender:
    """One rendering of the bed: the gain and limiter ceiling it used, and what it measured."""

    gain_db: float
    ceiling_dbfs: float
    measured: Loudness


def bed_misses(bed: BedSettings, measured: Loudness) -> bool:
    """Whether a rendered bed is off its loudness target (by more than the tolerance) or over the peak ceiling."""
    target = bed.target_lufs
    lufs, peak = measured.integrated_lufs, measured.true_peak_dbtp
    if target is None or lufs is None or lufs < -60:
        return False  # nothing to level (silence is never boosted)
    return abs(lufs - target) > bed.tolerance_lu or (peak is not None and peak > bed.max_true_peak_dbtp)


def corrected(bed: BedSettings, last: BedRender) -> BedRender:
    """The next try after `last` missed: the gain moved by what the level missed by; the limiter ceiling lowered
    by what the true peak went over (plus a little), never raised."""
    target = bed.target_lufs
    lufs, peak = last.measured.integrated_lufs, last.measured.true_peak_dbtp
    gain = last.gain_db + ((target - lufs) if target is not None and lufs is not None else 0.0)
    ceiling = last.ceiling_dbfs
    if peak is not None and peak > bed.max_true_peak_dbtp:
        ceiling -= peak - bed.max_true_peak_dbtp + 0.3
    return BedRender(round(max(-MAX_GAIN_DB, min(MAX_GAIN_DB, gain)), 2), round(ceiling, 2),
                     Loudness(None, None))


def _score(bed: BedSettings, render: BedRender) -> tuple[float, float]:
    """Lower is better: how far outside the target window and over the peak ceiling a render is."""
    target, m = bed.target_lufs, render.measured
    off = abs((m.integrated_lufs or -70.0) - target) if target is not None else 0.0
    over = max(0.0, (m.true_peak_dbtp or -99.0) - bed.max_true_peak_dbtp)
    return (max(0.0, off - 1.0) + 10 * over, off)


async def render_bed(source: Path, duration_s: float, out: Path, bed: BedSettings | None = None) -> Path:
    """Encode `source` into an AAC (house audio settings) .m4a of exactly `duration_s` seconds at the loudness
    target: rendered, measured, and rendered again with a corrected gain when it missed (at most
    `bed.corrections` times; the best rendering is kept)."""
    bed = bed or BedSettings()
    if bed.loudness_lufs is None:
        await _encode_bed(source, duration_s, out, bed_filter(duration_s, bed))
        return out
    source_lufs = await measure_loudness(source)
    attempt = BedRender(bed_gain_db(bed, source_lufs), bed.max_true_peak_dbtp - bed.limiter_margin_db,
                        Loudness(None, None))
    best: tuple[BedRender, Path] | None = None
    for round_ in range(bed.corrections + 1):
        path = out if round_ == 0 else out.with_name(f"{out.stem}.try{round_}{out.suffix}")
        await _encode_bed(source, duration_s, path,
                          bed_filter(duration_s, bed, gain_db=attempt.gain_db, ceiling_dbfs=attempt.ceiling_dbfs))
        attempt = replace(attempt, measured=await measure_ebur128(path))
        if best is None or _score(bed, attempt) < _score(bed, best[0]):
            best = (attempt, path)
        if not bed_misses(bed, attempt.measured):
            break
        attempt = corrected(bed, attempt)
    assert best is not None
    if best[1] != out:
        best[1].replace(out)
    for leftover in out.parent.glob(f"{out.stem}.try*{out.suffix}"):
        leftover.unlink(missing_ok=True)
    return out


async def _encode_bed(source: Path, duration_s: float, out: Path, chain: str) -> None:
    await ffmpeg(
        "-i", str(source), "-vn", "-af", chain, "-t", f"{duration_s:.6f}",
        *HOUSE.audio_args(), "-aac_coder", "fast", "-movflags", "+faststart", str(out),
        timeout_s=300,
    )
