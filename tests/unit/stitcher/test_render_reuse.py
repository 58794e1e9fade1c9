"""A later version's master on real (tiny) house-format clips: one beat's chunk changed, every window not beside it
copied from the first master (not encoded again), every frame outside that beat and its two windows identical,
and the music bed's samples the same."""

import asyncio
import hashlib
import subprocess
from pathlib import Path

import pytest

from admint.contracts.plan import MusicSpec
from admint.media.audio import render_bed
from admint.stitcher.offline_music import synthesize, write_wav
from admint.stitcher.ports import ClipFile, ReusedWindows
from admint.stitcher.render import stitch
from admint.stitcher.timeline import beat_targets
from tests.support.framecode import HEIGHT, WIDTH, decode, make_clip, read_frames

pytestmark = pytest.mark.unit


def stream_md5(path: Path, stream: str) -> str:
    """MD5 of one stream's packets (stream copy: the coded bytes, not a decode)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:{stream}", "-c", "copy", "-f", "md5",
                          "-"], capture_output=True, check=True, text=True).stdout
    return out.strip()


async def make(tmp: Path, name: str, tag: int, frames: int) -> Path:
    return await asyncio.to_thread(make_clip, tmp / name, tag, frames)


async def test_a_second_version_reencodes_only_the_windows_beside_the_changed_beat(tmp_path: Path) -> None:
    targets, x = beat_targets([5, 5, 5, 5], 0.5, 30)  # 4 beats, 3 crossfades of 15 frames
    lengths = [165, 165, 165, 150]
    first = [ClipFile(b, 0, await make(tmp_path, f"v1-{b}.mp4", b + 1, n)) for b, n in enumerate(lengths)]
    track = tmp_path / "track.wav"
    await asyncio.to_thread(write_wav, synthesize(MusicSpec(mood="calm", tempo_bpm=90), 20.5, 3), track)
    bed = await render_bed(track, 20.0, tmp_path / "bed.m4a")

    async def music() -> Path:
        return bed

    v1 = await stitch(first, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "v1.mp4",
                      workdir=tmp_path / "w1", music=music)
    assert v1.windows == 3 and v1.reused_windows == 0 and len(v1.placed) == 3
    assert [w.start for w in v1.placed] == [sorted(w.start for w in v1.placed)[i] for i in range(3)]

    # version 2: beat 2 (index 1) gets a new chunk, everything else is the same file
    changed = ClipFile(1, 0, await make(tmp_path, "v2-1.mp4", 9, 165))
    second = [first[0], changed, first[2], first[3]]
    v2 = await stitch(second, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "v2.mp4",
                      workdir=tmp_path / "w2", music=music, reuse=ReusedWindows(v1.path, v1.placed))
    assert v2.frames == v1.frames == 600 and v2.assembled_by == "sample-tables"
    assert v2.reused_windows == 1  # the window between beats 3 and 4 is copied from version 1
    assert v2.encoded_frames == 2 * 15  # only the two windows beside beat 2 were encoded
    assert [w.fingerprint for w in v2.placed][2] == [w.fingerprint for w in v1.placed][2]
    assert [w.fingerprint for w in v2.placed][:2] != [w.fingerprint for w in v1.placed][:2]

    a, b = read_frames(v1.path), read_frames(v2.path)
    changed_from = v1.placed[0].start  # the window into beat 2 …
    changed_to = v1.placed[1].start + v1.placed[1].frames  # … to the end of the window out of it
    same = [i for i in range(600) if hashlib.md5(a[i].tobytes()).digest() == hashlib.md5(b[i].tobytes()).digest()]
    differ = sorted(set(range(600)) - set(same))
    assert differ and changed_from <= differ[0] and differ[-1] < changed_to
    assert all(decode(b[i])[0] == 9 for i in range(v1.placed[0].start + v1.placed[0].frames, v1.placed[1].start))
    # the copied window decodes to exactly the pixels of version 1's
    w = v1.placed[2]
    assert all((a[i] == b[i]).all() for i in range(w.start, w.start + w.frames))
    assert stream_md5(v1.path, "a") == stream_md5(v2.path, "a")  # the same music bed, packet for packet
