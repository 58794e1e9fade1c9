"""The one-pass house encode: exact frame count, skip/pad, clean last frame, timed overlays, keyframes."""

import dataclasses
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from admint.media.frames import RawVideoWriter, decode_image, read_frames
from admint.media.normalise import (
    NormaliseJob,
    Overlay,
    RawInput,
    ffmpeg_args,
    filter_graph,
    is_house_pixels,
    keyframe_expr,
    native,
    normalise,
)
from admint.media.probe import probe
from tests.support.framecode import HEIGHT, WIDTH, decode, frame, keyframes

pytestmark = pytest.mark.unit

RED_Y = 120  # overlays go below the frame code blocks (rows 6..94)


def coded_source(path: Path, frames: int, *, fps: int = 30, width: int = WIDTH, height: int = HEIGHT) -> Path:
    """A lossless clip whose frame i spells (1, i) (BGR frames; the code is grey so order does not matter)."""
    with RawVideoWriter(path, width, height, fps) as writer:
        for i in range(frames):
            writer.write(cv2.resize(frame(1, i), (width, height), interpolation=cv2.INTER_NEAREST))
    return path


def red_png(path: Path, width: int = 40, height: int = 20) -> Path:
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 2] = 255  # red in BGRA
    rgba[..., 3] = 255
    cv2.imwrite(str(path), rgba)
    return path


def colour_tags(path: Path) -> str:
    return subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=color_space,color_primaries",
                           "-of", "csv=p=0", str(path)], capture_output=True, text=True).stdout.strip()


def redness(img: np.ndarray) -> float:
    """How red the overlay spot is: 0 without the overlay, ~1 fully on (BGR frame)."""
    spot = img[RED_Y + 5 : RED_Y + 15, 30:50].astype(float)
    return float((spot[..., 2] - spot[..., 1]).mean() / 255)


async def test_cuts_to_exact_frames_in_house_format(tmp_path: Path) -> None:
    src = coded_source(tmp_path / "src.mkv", 50)
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=40,
                       last_frame_png=tmp_path / "last.png")
    info = await normalise(job)
    assert (info.frames, info.width, info.height, info.fps) == (40, WIDTH, HEIGHT, 30.0)
    assert (info.video_codec, info.profile, info.pix_fmt, info.has_audio) == ("h264", "High", "yuv420p", False)
    decoded = [decode(f)[1] for f in await read_frames(job.output, WIDTH, HEIGHT)]
    assert decoded == list(range(40))
    assert decode(decode_image((tmp_path / "last.png").read_bytes()))[1] == 39
    assert keyframes(job.output) == [0, 15, 30]
    assert colour_tags(job.output) == "bt709,bt709"


async def test_skips_a_repeated_init_frame_and_pads_a_short_clip(tmp_path: Path) -> None:
    src = coded_source(tmp_path / "src.mkv", 20)
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=22,
                       skip_frames=1, last_frame_png=tmp_path / "last.png")
    await normalise(job)
    decoded = [decode(f)[1] for f in await read_frames(job.output, WIDTH, HEIGHT)]
    assert decoded == [*range(1, 20), 19, 19, 19]  # frame 0 dropped; the last frame held to the length
    assert decode(decode_image((tmp_path / "last.png").read_bytes()))[1] == 19


async def test_any_model_output_becomes_the_target_size_and_rate(tmp_path: Path) -> None:
    src = coded_source(tmp_path / "src.mkv", 16, fps=16, width=120, height=200)  # a 16 fps model, other size
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=30)
    info = await normalise(job)
    assert (info.frames, info.width, info.height, info.fps) == (30, WIDTH, HEIGHT, 30.0)


async def test_overlay_follows_its_timeline_and_stays_off_the_last_frame(tmp_path: Path) -> None:
    src = coded_source(tmp_path / "src.mkv", 60)
    overlay = Overlay(red_png(tmp_path / "red.png"), x=28, y=RED_Y, start_s=0.5, end_s=1.5, fade_in_s=0.3,
                      fade_out_s=0.3)
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=60,
                       last_frame_png=tmp_path / "last.png", overlays=[overlay])
    await normalise(job)
    red = [redness(f) for f in await read_frames(job.output, WIDTH, HEIGHT)]
    assert max(red[:14]) < 0.05  # before 0.5 s
    assert 0.2 < red[19] < 0.8  # fading in (0.63 s)
    assert min(red[25:35]) > 0.85  # fully on
    assert red[44] < 0.6 and max(red[46:]) < 0.05  # faded out by 1.5 s
    last = np.asarray(decode_image((tmp_path / "last.png").read_bytes()))
    assert redness(last) < 0.05


async def test_overlay_timeline_continues_across_chunks(tmp_path: Path) -> None:
    """The second chunk of a beat (offset 1 s) shows the rest of a caption that faded in during the first."""
    src = coded_source(tmp_path / "src.mkv", 30)
    overlay = Overlay(red_png(tmp_path / "red.png"), x=28, y=RED_Y, start_s=0.5, end_s=1.5, fade_in_s=0.3,
                      fade_out_s=0.3)
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=30,
                       overlays=[overlay], timeline_offset_s=1.0)
    await normalise(job)
    red = [redness(f) for f in await read_frames(job.output, WIDTH, HEIGHT)]
    assert red[0] > 0.85  # already fully on at the join: no second fade-in
    assert red[14] < 0.6 and max(red[16:]) < 0.05


async def test_forced_transition_keyframes(tmp_path: Path) -> None:
    src = coded_source(tmp_path / "src.mkv", 45)
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=45,
                       keyframes=[21, 30, 99])
    assert keyframe_expr(job) == "expr:eq(mod(n,15),0)+eq(n,21)"
    await normalise(job)
    assert keyframes(job.output) == [0, 15, 21, 30]


def test_args_are_one_command_with_both_outputs(tmp_path: Path) -> None:
    job = NormaliseJob(source=tmp_path / "in.mkv", output=tmp_path / "out.mp4", width=96, height=160, fps=30,
                       frames=10, last_frame_png=tmp_path / "last.png")
    args = ffmpeg_args(job)
    assert args.count("-filter_complex") == 1
    assert args[-1] == str(tmp_path / "last.png") and str(tmp_path / "out.mp4") in args
    with pytest.raises(ValueError):
        NormaliseJob(source=tmp_path / "x", output=tmp_path / "y", width=95, height=160, fps=30, frames=1)


async def test_probe_sees_what_was_asked(tmp_path: Path) -> None:
    src = coded_source(tmp_path / "src.mkv", 10)
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=7)
    await normalise(job)
    assert (await probe(job.output)).duration_s == pytest.approx(7 / 30, abs=1e-3)


def yuv_source(path: Path, frames: int, *, width: int = WIDTH, height: int = HEIGHT) -> Path:
    """The coded clip in the house pixel format (lossless yuv420p, tagged BT.709 limited range)."""
    with RawVideoWriter(path, width, height, 30, pix_fmt="yuv420p") as writer:
        for i in range(frames):
            bgr = cv2.resize(frame(1, i), (width, height), interpolation=cv2.INTER_NEAREST)
            writer.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420))
    return path


def test_house_pixels_are_taken_as_they_are(tmp_path: Path) -> None:
    """Frames already in the house format at the target size (a local model's YUV) are neither scaled nor
    converted: the overlays are blended in YUV; anything else goes through planar RGB as before."""
    out = tmp_path / "out.mp4"
    piped = NormaliseJob(source=RawInput(WIDTH, HEIGHT, 30, "yuv420p"), output=out, width=WIDTH, height=HEIGHT,
                         fps=30, frames=10, last_frame_png=tmp_path / "last.png")
    assert native(piped) and "gbrp" not in filter_graph(piped) and "scale=" in filter_graph(piped)  # last PNG
    assert "-pix_fmt" in (args := ffmpeg_args(piped)) and args[args.index("-pix_fmt") + 1] == "yuv420p"
    other_size = dataclasses.replace(piped, source=RawInput(WIDTH * 2, HEIGHT * 2, 30, "yuv420p"))
    bgr = dataclasses.replace(piped, source=RawInput(WIDTH, HEIGHT, 30))
    assert not native(other_size) and not native(bgr) and "format=gbrp" in filter_graph(bgr)


async def test_a_house_pixel_file_is_found_by_probing_and_encoded_without_conversion(tmp_path: Path) -> None:
    src = yuv_source(tmp_path / "src.mkv", 31)
    info = await probe(src)
    job = NormaliseJob(source=src, output=tmp_path / "out.mp4", width=WIDTH, height=HEIGHT, fps=30, frames=30,
                       skip_frames=1, last_frame_png=tmp_path / "last.png")
    assert is_house_pixels(info, job)
    assert not is_house_pixels(await probe(coded_source(tmp_path / "rgb.mkv", 2)), job)
    await normalise(job)
    assert [decode(f)[1] for f in await read_frames(job.output, WIDTH, HEIGHT)] == list(range(1, 31))
    assert decode(decode_image((tmp_path / "last.png").read_bytes()))[1] == 30
    assert colour_tags(job.output) == "bt709,bt709"
