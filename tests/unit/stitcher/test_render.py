"""The smart render on real (tiny) house-format clips: every master frame is checked for where it came from."""

import asyncio
from pathlib import Path

import numpy as np
import pytest

from admint.contracts.plan import MusicSpec
from admint.media.audio import render_bed
from admint.media.probe import probe
from admint.stitcher.offline_music import synthesize, write_wav
from admint.stitcher.ports import ClipFile
from admint.stitcher.render import stitch, window_filter, window_groups
from admint.stitcher.timeline import BeatClips, Clip, beat_targets, plan_timeline
from tests.support.framecode import HEIGHT, WIDTH, background, decode, level, make_clip, read_frames

pytestmark = pytest.mark.unit


async def clips(tmp: Path, layout: list[list[int]], **kw: object) -> list[ClipFile]:
    """Chunks of each beat; tag = 4 * beat + chunk + 1."""
    files = []
    for b, chunks in enumerate(layout):
        for c, n in enumerate(chunks):
            path = tmp / f"in-{b}-{c}.mp4"
            await asyncio.to_thread(make_clip, path, 4 * b + c + 1, n, **kw)  # type: ignore[arg-type]
            files.append(ClipFile(b, c, path))
    return files


def test_window_filter_fits_then_crossfades() -> None:
    beats = [BeatClips(0, 165, (Clip("0-0", 167, (0, 15, 150)),)), BeatClips(1, 150, (Clip("1-0", 150, (0, 15)),))]
    (w,) = plan_timeline(beats, 15).windows
    fade = window_filter(w, 30, "fade")
    assert "trim=end_frame=17" in fade  # the source piece (167 - 150 frames)
    assert "trim=end_frame=15" in fade  # fitted back to the planned 15
    assert "fade=t=in:st=0.000000:d=0.500000:alpha=1" in fade and "overlay=format=yuv420" in fade
    wipe = window_filter(w, 30, "wipeleft")
    assert "xfade=transition=wipeleft:duration=0.500000:offset=0.000000" in wipe


async def test_master_is_frame_exact_with_copied_frames_untouched_and_crossfades_between(tmp_path: Path) -> None:
    targets, x = beat_targets([5, 10, 5], 0.5, 30)
    files = await clips(tmp_path, [[165], [150, 150, 15], [150]])
    result = await stitch(files, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "m.mp4",
                          workdir=tmp_path / "work")
    assert (result.frames, result.expected_frames, result.windows) == (600, 600, 2)
    assert result.encoded_frames == 30 and result.copied_frames == 570
    assert result.assembled_by == "sample-tables"  # no ffmpeg split/concat: written from the sample tables
    frames = read_frames(result.path)
    assert len(frames) == 600
    ids = [decode(f) for f in frames]
    # copied stretches are exactly the source frames, in order
    assert ids[:150] == [(1, i) for i in range(150)]
    assert ids[165:300] == [(5, i) for i in range(15, 150)]
    assert ids[300:450] == [(6, i) for i in range(150)]
    assert ids[465:] == [(9, i) for i in range(15, 150)]
    # inside a crossfade the background moves steadily from one beat's level to the next
    fade = [background(f) for f in frames[150:165]]
    lo, hi = sorted((level(1), level(5)))
    assert all(lo - 3 <= v <= hi + 3 for v in fade)
    steps = np.diff(fade) * np.sign(level(5) - level(1))
    assert (steps > -1.5).all() and abs(fade[-1] - level(5)) < abs(fade[0] - level(5))
    info = await probe(result.path)
    assert (info.video_codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert info.faststart and not info.has_audio
    assert info.duration_s == pytest.approx(20.0, abs=1 / 30)


async def test_chunks_with_forced_keyframes_at_the_overlap_and_a_fitted_beat(tmp_path: Path) -> None:
    targets, x = beat_targets([5, 5, 5], 0.3, 30)  # 9-frame crossfades
    files = [
        ClipFile(0, 0, await asyncio.to_thread(make_clip, tmp_path / "a.mp4", 1, 159, force_keyframes=[150])),
        ClipFile(1, 0, await asyncio.to_thread(make_clip, tmp_path / "b.mp4", 2, 161,  # 2 frames too long
                                               force_keyframes=[9, 150])),
        ClipFile(2, 0, await asyncio.to_thread(make_clip, tmp_path / "c.mp4", 3, 148, force_keyframes=[9])),
    ]
    result = await stitch(files, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "m.mp4",
                          workdir=tmp_path / "work")
    assert result.frames == 450
    ids = [decode(f) for f in read_frames(result.path)]
    assert ids[:150] == [(1, i) for i in range(150)]
    assert ids[159:300] == [(2, i) for i in range(9, 150)]
    assert ids[309:448] == [(3, i) for i in range(9, 148)]
    assert ids[448:] == [(3, 147), (3, 147)]  # the short last beat: its last frame held


async def test_music_bed_is_muxed_as_aac_48k_of_the_master_length(tmp_path: Path) -> None:
    targets, x = beat_targets([5, 5, 5], 0.0, 30)  # hard cuts: pure stream copy
    files = await clips(tmp_path, [[150], [150], [150]])
    wav = write_wav(synthesize(MusicSpec(mood="calm", tempo_bpm=80), 20.0, 3), tmp_path / "m.wav")
    bed = asyncio.create_task(render_bed(wav, 15.0, tmp_path / "bed.m4a"))

    async def music() -> Path:
        return await bed

    result = await stitch(files, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "m.mp4",
                          workdir=tmp_path / "work", music=music)
    assert result.encoded_frames == 0 and result.frames == 450 and result.has_audio
    info = await probe(result.path)
    assert (info.has_audio, info.audio_codec, info.audio_rate) == (True, "aac", 48000)
    assert info.duration_s == pytest.approx(15.0, abs=1 / 30)
    assert info.faststart


async def test_chunks_the_sample_table_writer_cannot_take_are_joined_by_ffmpeg_instead(tmp_path: Path) -> None:
    """A fragmented chunk (moof boxes, no sample tables) is valid house-format H.264: the master is still frame
    exact, written by ffmpeg's segment split + concat demuxer instead."""
    targets, x = beat_targets([5, 5], 0.5, 30)
    fragmented = ["-movflags", "frag_keyframe+empty_moov"]
    files = [
        ClipFile(0, 0, await asyncio.to_thread(make_clip, tmp_path / "a.mp4", 1, 165, encoder_args=fragmented)),
        ClipFile(1, 0, await asyncio.to_thread(make_clip, tmp_path / "b.mp4", 2, 150)),
    ]
    result = await stitch(files, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "m.mp4",
                          workdir=tmp_path / "work")
    assert result.assembled_by == "ffmpeg-concat" and result.normalised == 0
    assert result.frames == 300
    ids = [decode(f) for f in read_frames(result.path)]
    assert ids[:150] == [(1, i) for i in range(150)] and ids[165:] == [(2, i) for i in range(15, 150)]
    assert (await probe(result.path)).faststart


async def test_a_stray_chunk_is_normalised_instead_of_breaking_the_concat(tmp_path: Path) -> None:
    targets, x = beat_targets([5, 5], 0.5, 30)
    files = await clips(tmp_path, [[165]])
    stray = tmp_path / "stray.mp4"  # wrong size, different GOP: must be brought to the house format
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=120x200:r=30:d=5", "-c:v", "libx264",
        "-g", "60", "-pix_fmt", "yuv420p", str(stray),
    )
    assert await proc.wait() == 0
    files.append(ClipFile(1, 0, stray))
    result = await stitch(files, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "m.mp4",
                          workdir=tmp_path / "work")
    assert result.frames == 300
    info = await probe(result.path)
    assert (info.width, info.height) == (WIDTH, HEIGHT)


async def test_chunks_from_another_encoder_setup_are_re_encoded_so_the_join_stays_valid(tmp_path: Path) -> None:
    targets, x = beat_targets([5, 5], 0.5, 30)
    other = ["-preset", "ultrafast"]  # no CABAC, other parameter sets: our windows could not be concatenated
    files = [
        ClipFile(0, 0, await asyncio.to_thread(make_clip, tmp_path / "a.mp4", 1, 165, encoder_args=other)),
        ClipFile(1, 0, await asyncio.to_thread(make_clip, tmp_path / "b.mp4", 2, 150, encoder_args=other)),
    ]
    result = await stitch(files, targets, x, width=WIDTH, height=HEIGHT, fps=30, out=tmp_path / "m.mp4",
                          workdir=tmp_path / "work")
    assert result.normalised == 2 and result.frames == 300
    ids = [decode(f) for f in read_frames(result.path)]
    assert ids[:150] == [(1, i) for i in range(150)] and ids[165:] == [(2, i) for i in range(15, 150)]


@pytest.mark.parametrize("transition", ["fade", "dissolve"])
async def test_crossfade_starting_inside_a_gop_keeps_the_frames_before_it(tmp_path: Path, transition: str) -> None:
    """At 25 fps a 5 s beat is 125 frames: its last keyframe is at 120, so the window starts 5 frames before
    the crossfade and those frames must come through unblended."""
    fps = 25
    targets, x = beat_targets([5, 5], 0.4, fps)  # 10-frame crossfade
    files = [
        ClipFile(0, 0, await asyncio.to_thread(make_clip, tmp_path / "a.mp4", 1, targets[0], fps=fps)),
        ClipFile(1, 0, await asyncio.to_thread(make_clip, tmp_path / "b.mp4", 2, targets[1], fps=fps)),
    ]
    result = await stitch(files, targets, x, width=WIDTH, height=HEIGHT, fps=fps, out=tmp_path / "m.mp4",
                          workdir=tmp_path / "work", transition=transition)
    assert result.frames == 250 and result.encoded_frames == 5 + 15
    frames = read_frames(result.path)
    ids = [decode(f) for f in frames]
    assert ids[:125] == [(1, i) for i in range(125)]  # 120..124 re-encoded, still beat 0 untouched by b
    assert ids[140:] == [(2, i) for i in range(15, 125)]
    levels = [background(f) for f in frames[123:137]]
    assert abs(levels[0] - level(1)) < 3 and abs(levels[-1] - level(2)) < 3
    mid = background(frames[130])
    assert min(level(1), level(2)) + 10 < mid < max(level(1), level(2)) - 10


@pytest.mark.parametrize(
    ("windows", "cores", "runs"), [(0, 2, 0), (1, 2, 1), (2, 2, 2), (3, 2, 3), (4, 2, 2), (5, 2, 3), (7, 2, 3),
                                   (8, 4, 4), (9, 4, 5), (5, 1, 1)],
)
def test_windows_are_spread_so_no_ffmpeg_run_holds_more_than_its_share(windows: int, cores: int, runs: int) -> None:
    assert window_groups(windows, cores) == runs
    if windows:
        largest = -(-windows // runs)
        assert largest <= max(1, windows // cores)
