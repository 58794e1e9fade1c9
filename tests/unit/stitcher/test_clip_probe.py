"""The MP4 sample-table reader agrees with ffprobe, and declines what it does not understand."""

import asyncio
import subprocess
from pathlib import Path

import pytest

from admint.media.mp4 import read_track
from admint.stitcher.render import ffprobe_clip, probe_clip
from tests.support.framecode import make_clip

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("frames", "kw"),
    [(165, {}), (159, {"force_keyframes": [9, 150]}), (125, {"fps": 25}), (40, {"encoder_args": ["-bf", "0"]})],
)
async def test_agrees_with_ffprobe(tmp_path: Path, frames: int, kw: dict[str, object]) -> None:
    path = await asyncio.to_thread(make_clip, tmp_path / "c.mp4", 3, frames, **kw)  # type: ignore[arg-type]
    track = read_track(path)
    want = await ffprobe_clip(path, "x")
    assert track is not None
    assert (track.frames, track.keyframes) == (want.clip.frames, want.clip.keyframes)
    assert (track.width, track.height, track.pix_fmt) == (want.width, want.height, want.pix_fmt)
    assert track.fps == pytest.approx(want.fps) and track.extradata_md5 == want.extradata
    if "force_keyframes" in kw:
        assert {9, 150} <= set(track.keyframes)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


async def test_declines_fragmented_audio_only_and_non_mp4_files_and_probe_falls_back(tmp_path: Path) -> None:
    clip = await asyncio.to_thread(make_clip, tmp_path / "c.mp4", 1, 30)
    fragmented = tmp_path / "frag.mp4"
    ffmpeg("-i", str(clip), "-c", "copy", "-movflags", "frag_keyframe+empty_moov", str(fragmented))
    audio = tmp_path / "a.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "aac", str(audio))
    garbage = tmp_path / "x.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x10notabox" + bytes(100))
    assert read_track(fragmented) is None and read_track(audio) is None and read_track(garbage) is None
    probed = await probe_clip(fragmented, "f")  # ffprobe takes over
    assert probed.clip.frames == 30 and probed.clip.keyframes[:2] == (0, 15)
