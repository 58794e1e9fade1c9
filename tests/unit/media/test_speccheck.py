"""Spec check verdicts from probe summaries (pure)."""

from dataclasses import replace

import pytest

from admint.media.probe import MediaInfo
from admint.media.speccheck import Expected, evaluate

pytestmark = pytest.mark.unit

GOOD = MediaInfo(duration_s=30.005, width=1080, height=1920, fps=30.0, video_codec="h264", profile="High",
                 pix_fmt="yuv420p", frames=900, has_audio=True, audio_codec="aac", audio_rate=48000, faststart=True)
WANT = Expected(width=1080, height=1920, fps=30, duration_s=30.0, audio=True)


def test_a_conforming_file_passes_and_the_facts_are_recorded() -> None:
    check = evaluate(GOOD, WANT)
    assert check.passed and check.problems == []
    assert (check.codec, check.profile, check.width, check.height, check.fps) == ("h264", "High", 1080, 1920, 30)
    assert check.faststart and check.has_audio and check.duration_s == pytest.approx(30.005)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"video_codec": "hevc"}, "video codec is hevc"),
        ({"profile": "Main"}, "profile is Main"),
        ({"pix_fmt": "yuv444p"}, "pixel format is yuv444p"),
        ({"width": 1078}, "size is 1078x1920"),
        ({"fps": 25.0}, "frame rate is 25"),
        ({"frames": 898}, "898 frames"),
        ({"duration_s": 30.2}, "duration is 30.200s"),
        ({"faststart": False}, "no +faststart"),
        ({"has_audio": False, "audio_codec": "", "audio_rate": 0}, "no audio stream"),
        ({"audio_rate": 44100}, "44100 Hz"),
        ({"audio_codec": "mp3"}, "audio codec is mp3"),
    ],
)
def test_each_deviation_is_named(change: dict[str, object], problem: str) -> None:
    check = evaluate(replace(GOOD, **change), WANT)  # type: ignore[arg-type]
    assert not check.passed
    assert any(problem in p for p in check.problems), check.problems


def test_one_frame_off_is_tolerated() -> None:
    assert evaluate(replace(GOOD, frames=901, duration_s=30.04), WANT).passed
    assert evaluate(replace(GOOD, frames=899), WANT).passed


def test_audio_absence_is_recorded_not_failed_when_none_was_expected() -> None:
    silent = replace(GOOD, has_audio=False, audio_codec="", audio_rate=0, duration_s=30.0)
    check = evaluate(silent, replace(WANT, audio=None))
    assert check.passed and check.has_audio is False
    assert not evaluate(GOOD, replace(WANT, audio=False)).passed
