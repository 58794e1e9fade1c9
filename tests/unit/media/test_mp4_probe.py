"""The in-process MP4 probe says what ffprobe says about the pipeline's files (and a few more of the same
kind), field by field, or declines.

Real files made by ffmpeg: the house encode (as the chunker and the renditions write it), a joined master with
its AAC bed (the stitcher's smart render), a stream-copied faststart remux, and files it must leave to ffprobe.
"""

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from admint.media.house import HOUSE
from admint.media.mp4_join import Span, join_mp4
from admint.media.mp4_probe import read_media_info
from admint.media.probe import ffprobe_info, probe
from tests.support.framecode import make_clip

pytestmark = pytest.mark.unit

W, H = 96, 160


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", *args], capture_output=True, check=True)


def lavfi_clip(path: Path, *encoder: str, audio: tuple[str, ...] = ()) -> Path:
    source = ["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=30:duration=2"]
    tone = ["-f", "lavfi", "-i", "sine=frequency=330:duration=2", *audio] if audio else ["-an"]
    ffmpeg(*source, *(tone[:4] if audio else []), *encoder, *(tone[4:] if audio else tone), str(path))
    return path


def house(d: Path) -> Path:
    return make_clip(d / "house.mp4", 1, 45, width=W, height=H)


def house_with_forced_keyframes(d: Path) -> Path:
    return make_clip(d / "keys.mp4", 2, 75, width=W, height=H, force_keyframes=[20, 50])


def joined_master_with_bed(d: Path) -> Path:
    a, b = make_clip(d / "a.mp4", 3, 60, width=W, height=H), make_clip(d / "b.mp4", 4, 30, width=W, height=H)
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=3", *HOUSE.audio_args(), str(d / "bed.m4a"))
    join_mp4([Span(a, 0, 60), Span(b, 0, 30)], d / "bed.m4a", d / "master.mp4")
    return d / "master.mp4"


def copied_with_faststart(d: Path) -> Path:
    source = joined_master_with_bed(d)
    ffmpeg("-i", str(source), "-c", "copy", "-movflags", "+faststart", str(d / "copied.mp4"))
    return d / "copied.mp4"


def rendition_without_faststart(d: Path) -> Path:
    return lavfi_clip(d / "rendition.mp4", *HOUSE.video_args(), audio=tuple(HOUSE.audio_args()))


def bt601(d: Path) -> Path:
    return lavfi_clip(d / "bt601.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-colorspace", "smpte170m",
                      "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv")


def main_profile_48k(d: Path) -> Path:
    return lavfi_clip(d / "main.mp4", "-c:v", "libx264", "-profile:v", "main", "-pix_fmt", "yuv420p",
                      *HOUSE.colour_args(), audio=("-c:a", "aac", "-ar", "48000"))


def baseline(d: Path) -> Path:
    return lavfi_clip(d / "baseline.mp4", "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
                      *HOUSE.colour_args())


THE_PIPELINES: list[Callable[[Path], Path]] = [house, house_with_forced_keyframes, joined_master_with_bed,
                                               copied_with_faststart, rendition_without_faststart,
                                               bt601, main_profile_48k, baseline]


def matrix_only(d: Path) -> Path:
    """Without primaries and transfer, the muxer writes no `colr`: ffprobe reads the matrix from the SPS."""
    return lavfi_clip(d / "matrix.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-colorspace", "bt709")


def untagged(d: Path) -> Path:
    return lavfi_clip(d / "untagged.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p")


def full_range(d: Path) -> Path:
    return lavfi_clip(d / "pc.mp4", "-c:v", "libx264", "-pix_fmt", "yuvj420p", "-colorspace", "bt709",
                      "-color_range", "pc")


def ten_bit(d: Path) -> Path:
    return lavfi_clip(d / "ten.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p10le", "-colorspace", "bt709")


def four_four_four(d: Path) -> Path:
    return lavfi_clip(d / "444.mp4", "-c:v", "libx264", "-pix_fmt", "yuv444p", "-colorspace", "bt709")


def mpeg4_part2(d: Path) -> Path:
    return lavfi_clip(d / "mpeg4.mp4", "-c:v", "mpeg4", "-colorspace", "bt709")


def mp3_audio(d: Path) -> Path:
    return lavfi_clip(d / "mp3.mp4", *HOUSE.video_args(), audio=("-c:a", "libmp3lame"))


def fragmented(d: Path) -> Path:
    return lavfi_clip(d / "frag.mp4", *HOUSE.video_args(), "-movflags", "+frag_keyframe+empty_moov")


def webm(d: Path) -> Path:
    return lavfi_clip(d / "clip.webm", "-c:v", "libvpx", "-deadline", "realtime")


LEFT_TO_FFPROBE: list[Callable[[Path], Path]] = [matrix_only, untagged, full_range, ten_bit, four_four_four,
                                                 mpeg4_part2, mp3_audio, fragmented, webm]


@pytest.mark.parametrize("make", THE_PIPELINES, ids=lambda f: f.__name__)
def test_reads_the_pipelines_files_exactly_as_ffprobe_does(make: Callable[[Path], Path], tmp_path: Path) -> None:
    path = make(tmp_path)
    mine = read_media_info(path)
    assert mine is not None, "a file the pipeline writes should not need ffprobe"
    assert mine == asyncio.run(ffprobe_info(path))


@pytest.mark.parametrize("make", LEFT_TO_FFPROBE, ids=lambda f: f.__name__)
def test_leaves_what_it_cannot_tell_to_ffprobe(make: Callable[[Path], Path], tmp_path: Path) -> None:
    path = make(tmp_path)
    assert read_media_info(path) is None
    assert asyncio.run(probe(path)) == asyncio.run(ffprobe_info(path))  # probe() falls back


def test_a_truncated_file_is_declined_not_misread(tmp_path: Path) -> None:
    whole = house(tmp_path)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert read_media_info(cut) is None
    assert read_media_info(tmp_path / "missing.mp4") is None
