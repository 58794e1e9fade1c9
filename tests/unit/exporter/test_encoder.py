"""The ffmpeg ExportEncoder on a real (tiny) master: rendition encodes, poster, spec checks, saliency.

The handler's media path, without servers (the handler itself is tested with a fake in test_handlers.py).
"""

import asyncio
import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationSpec
from admint.exporter.config import ExporterSettings
from admint.exporter.decide import check_target
from admint.exporter.encoder import FfmpegExportEncoder
from admint.exporter.ports import CheckTarget
from admint.exporter.renditions import Policy, RenditionPlan, plan_rendition
from admint.media.house import HOUSE

pytestmark = pytest.mark.unit
W, H = 180, 320
SIZE = FrameSize(width=W, height=H)


def make_master(path: Path, seconds: float, audio: bool) -> Path:
    """A house-format master: moving test pattern, a caption-like bar low in the frame, optional AAC tone."""
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc2=s={W}x{H}:r=30:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    args += ["-vf", "drawbox=x=10:y=230:w=160:h=30:color=white:t=fill", "-map", "0:v"]
    args += (["-map", "1:a", *HOUSE.audio_args()] if audio else [])
    args += [*HOUSE.video_args(), "-movflags", "+faststart", str(path)]
    subprocess.run(args, check=True)
    return path


@pytest.fixture(scope="module")
def masters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("masters")
    return {"audio": make_master(d / "a.mp4", 15.0, True), "silent": make_master(d / "s.mp4", 15.0, False)}


def target(aspect: str = "9:16", width: int = W, height: int = H, *, audio: bool = True,
           duration_s: float = 15.0) -> CheckTarget:
    return CheckTarget(aspect, width, height, 30, duration_s, audio=audio)


Encoded = tuple[list[RenditionPlan], list[Path]]


@pytest.fixture(scope="module")
async def encoded(masters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Encoded:
    """1:1 cropped and 16:9 padded from the 9:16 master, placed by its saliency map."""
    encoder = FfmpegExportEncoder()
    saliency = await encoder.saliency(masters["audio"], SIZE)
    plans = [plan_rendition("1:1", SIZE, saliency, Policy("crop")), plan_rendition("16:9", SIZE, saliency, Policy())]
    return plans, await encoder.encode(masters["audio"], plans, SIZE, 30, tmp_path_factory.mktemp("renditions"))


async def test_renditions_are_encoded_at_their_sizes_and_pass_the_spec_check(encoded: Encoded) -> None:
    plans, paths = encoded
    assert [(p.aspect, p.size.width, p.size.height, p.method) for p in plans] == [
        ("1:1", 180, 180, "crop"), ("16:9", 320, 180, "pad")]
    spec = GenerationSpec(brief="tiny", duration_s=15, size=SIZE)
    encoder = FfmpegExportEncoder()
    for plan, path in zip(plans, paths, strict=True):
        assert path.name == f"{plan.aspect.replace(':', 'x')}.mp4"
        check = await encoder.check(path, check_target(spec, plan, True, 1))
        assert check.passed, check.problems
        assert (check.codec, check.profile, check.pix_fmt, check.faststart, check.has_audio) == (
            "h264", "High", "yuv420p", True, True)
        assert (check.width, check.height) == (plan.size.width, plan.size.height)
        assert check.fps == 30 and check.duration_s == pytest.approx(15.0, abs=0.05)


async def test_the_padded_rendition_keeps_the_whole_picture(encoded: Encoded, tmp_path: Path) -> None:
    _, (_, wide) = encoded
    frame = tmp_path / "wide.png"
    proc = await asyncio.create_subprocess_exec("ffmpeg", "-v", "error", "-y", "-ss", "2", "-i", str(wide),
                                                "-frames:v", "1", str(frame))
    assert await proc.wait() == 0
    img = Image.open(frame).convert("L")
    # the caption bar of the master (white, low in the frame) is still there in the centre column
    fg_w = round(W * 180 / H / 2) * 2
    x0 = (320 - fg_w) // 2
    bar_y = round(245 * 180 / H)
    pixel = img.getpixel((x0 + fg_w // 2, bar_y))
    assert isinstance(pixel, int) and pixel > 200


async def test_the_master_itself_passes_with_or_without_audio(masters: dict[str, Path]) -> None:
    encoder = FfmpegExportEncoder()
    assert (await encoder.check(masters["audio"], target())).passed
    silent = await encoder.check(masters["silent"], target(audio=False))
    assert silent.passed and silent.has_audio is False


async def test_a_missing_bed_and_a_wrong_length_are_reported(masters: dict[str, Path]) -> None:
    encoder = FfmpegExportEncoder()
    no_bed = await encoder.check(masters["silent"], target(audio=True))
    assert not no_bed.passed and no_bed.problems == ["no audio stream, expected the music bed"]
    short = await encoder.check(masters["audio"], target(duration_s=20.0))
    assert not short.passed and any("450 frames" in p for p in short.problems), short.problems


async def test_poster_and_thumbnail_are_jpegs_of_the_master_frame(masters: dict[str, Path], tmp_path: Path) -> None:
    encoder = FfmpegExportEncoder.from_settings(ExporterSettings(thumbnail_long_side=64, poster_quality=80))
    pictures = await encoder.poster(masters["audio"], [1.9, 2.5, 3.1], tmp_path)
    poster = Image.open(io.BytesIO(pictures.poster))
    thumb = Image.open(io.BytesIO(pictures.thumbnail))
    assert poster.format == "JPEG" and poster.size == (W, H)
    assert thumb.format == "JPEG" and thumb.size == (36, 64)


async def test_the_saliency_map_is_small_and_follows_the_picture(masters: dict[str, Path]) -> None:
    saliency = await FfmpegExportEncoder().saliency(masters["audio"], SIZE)
    assert saliency.shape == (170, 96) and float(saliency.sum()) > 0


def test_the_policy_comes_from_the_settings() -> None:
    assert ExporterSettings(rendition_method="pad", crop_min_area=0.3).policy() == Policy("pad", 0.3, 0.8, 0.15)
