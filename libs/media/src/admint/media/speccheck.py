"""The delivery spec check: does an MP4 meet what platforms and our contract promise?

H.264 High, yuv420p, the exact pixel size and frame rate, the plan's duration to ±1 frame, `+faststart`, and audio
(AAC 48 kHz) when a bed was mixed — its absence is recorded, and is a failure only when audio was expected.
`evaluate` is pure (unit-tested on MediaInfo values); `spec_check` probes a file and evaluates it.
"""

from dataclasses import dataclass
from pathlib import Path

from admint.contracts.export import SpecCheck
from admint.media.house import HOUSE
from admint.media.probe import MediaInfo, probe


@dataclass(frozen=True)
class Expected:
    width: int
    height: int
    fps: float
    duration_s: float
    audio: bool | None = None
    """True: audio must be there; False: must not be; None: whatever it is, it is recorded."""
    codec: str = "h264"
    profile: str = "High"
    pix_fmt: str = HOUSE.pix_fmt
    audio_codec: str = "aac"
    audio_rate: int = HOUSE.audio_rate
    frame_tolerance: int = 1

    @property
    def frames(self) -> int:
        return round(self.duration_s * self.fps)


def evaluate(info: MediaInfo, want: Expected) -> SpecCheck:
    problems: list[str] = []
    if info.video_codec != want.codec:
        problems.append(f"video codec is {info.video_codec or 'missing'}, expected {want.codec}")
    if info.profile != want.profile:
        problems.append(f"profile is {info.profile or 'unknown'}, expected {want.profile}")
    if info.pix_fmt != want.pix_fmt:
        problems.append(f"pixel format is {info.pix_fmt or 'unknown'}, expected {want.pix_fmt}")
    if (info.width, info.height) != (want.width, want.height):
        problems.append(f"size is {info.width}x{info.height}, expected {want.width}x{want.height}")
    if abs(info.fps - want.fps) > 0.01:
        problems.append(f"frame rate is {info.fps:g} fps, expected {want.fps:g}")
    if abs(info.frames - want.frames) > want.frame_tolerance:
        problems.append(
            f"{info.frames} frames ({info.frames / want.fps:.3f}s), expected {want.frames} ({want.duration_s:g}s) "
            f"±{want.frame_tolerance}"
        )
    tolerance_s = (want.frame_tolerance + 1) / want.fps  # container duration includes the audio's last packet
    if abs(info.duration_s - want.duration_s) > tolerance_s:
        problems.append(f"duration is {info.duration_s:.3f}s, expected {want.duration_s:g}s")
    if not info.faststart:
        problems.append("moov atom is not before mdat (no +faststart)")
    if want.audio is True and not info.has_audio:
        problems.append("no audio stream, expected the music bed")
    if want.audio is False and info.has_audio:
        problems.append("has an audio stream, expected none")
    if info.has_audio and info.audio_codec != want.audio_codec:
        problems.append(f"audio codec is {info.audio_codec}, expected {want.audio_codec}")
    if info.has_audio and info.audio_rate != want.audio_rate:
        problems.append(f"audio sample rate is {info.audio_rate} Hz, expected {want.audio_rate}")
    return SpecCheck(
        passed=not problems, problems=problems, codec=info.video_codec, profile=info.profile,
        pix_fmt=info.pix_fmt, width=info.width, height=info.height, fps=round(info.fps, 3),
        duration_s=round(info.duration_s, 3), faststart=info.faststart, has_audio=info.has_audio,
    )


async def spec_check(path: Path, want: Expected) -> SpecCheck:
    return evaluate(await probe(path), want)
