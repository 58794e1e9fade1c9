"""The ffmpeg StitchEncoder on real (tiny) house-format clips: the handler's media path, without servers.

(The smart render's frame-by-frame behaviour is tested in test_render.py; here, what the adapter adds: the bed
made from a composed track and muxed in, the settings it is built from, and the errors it raises.)
"""

import asyncio
from pathlib import Path

import pytest

from admint.contracts.plan import MusicSpec
from admint.media.audio import BedSettings
from admint.media.probe import probe
from admint.providers.ports import MusicRequest
from admint.stitcher.config import StitcherSettings
from admint.stitcher.encoder import FfmpegStitchEncoder
from admint.stitcher.offline_music import OfflineMusicModel
from admint.stitcher.ports import ClipFile, RenderJob
from admint.stitcher.timeline import TimelineError, beat_targets
from tests.support.framecode import HEIGHT, WIDTH, make_clip

pytestmark = pytest.mark.unit
CLIPS: dict[tuple[int, int], Path] = {}


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    CLIPS.clear()
    return tmp_path_factory.mktemp("clips")


async def chunks(directory: Path, layout: list[list[int]]) -> list[ClipFile]:
    """Clips are made once per module (the encoder never modifies its inputs)."""
    files = []
    for b, sizes in enumerate(layout):
        for c, n in enumerate(sizes):
            if (b, n) not in CLIPS:
                CLIPS[(b, n)] = await asyncio.to_thread(make_clip, directory / f"{b}-{n}.mp4", b + 1, n)
            files.append(ClipFile(b, c, CLIPS[(b, n)]))
    return files


def job(files: list[ClipFile], tmp: Path, overlap_s: float = 0.5, max_fit: int | None = 15) -> RenderJob:
    targets, overlap = beat_targets([5, 5, 5], overlap_s, 30)
    return RenderJob(files, targets, overlap, WIDTH, HEIGHT, 30, out=tmp / "master.mp4", workdir=tmp / "work",
                     max_fit=max_fit)


async def test_master_with_the_music_bed_muxed_in(clip_dir: Path, tmp_path: Path) -> None:
    encoder = FfmpegStitchEncoder.from_settings(StitcherSettings())
    track = await OfflineMusicModel().compose(
        MusicRequest(music=MusicSpec(mood="uplifting", tempo_bpm=120), duration_s=15.0, seed=3, workdir=tmp_path))
    bed_task = asyncio.create_task(encoder.music_bed(track.path, 15.0, tmp_path / "bed.m4a"))

    async def bed() -> Path:
        return await bed_task

    result = await encoder.render(job(await chunks(clip_dir, [[165], [165], [150]]), tmp_path), music=bed)
    assert (result.frames, result.encoded_frames, result.windows, result.has_audio) == (450, 30, 2, True)
    info = await probe(result.path)
    assert info.frames == 450 and info.has_audio and info.audio_codec == "aac" and info.audio_rate == 48000
    assert info.faststart and info.duration_s == pytest.approx(15.0, abs=1 / 30)
    bed_info = await probe(tmp_path / "bed.m4a")
    assert bed_info.duration_s == pytest.approx(15.0, abs=0.05)


async def test_hard_cuts_copy_every_frame(clip_dir: Path, tmp_path: Path) -> None:
    result = await FfmpegStitchEncoder().render(job(await chunks(clip_dir, [[150], [150], [150]]), tmp_path, 0.0))
    assert (result.frames, result.encoded_frames, result.has_audio) == (450, 0, False)


async def test_a_beat_far_from_its_planned_length_is_refused_with_the_frame_counts(
    clip_dir: Path, tmp_path: Path
) -> None:
    files = await chunks(clip_dir, [[165], [165], [60]])  # last beat 2 s instead of 5
    with pytest.raises(TimelineError, match="beat 2 has 60 frames, needs 150"):
        await FfmpegStitchEncoder().render(job(files, tmp_path))


async def test_a_beat_a_few_frames_off_is_fitted_to_the_exact_length(clip_dir: Path, tmp_path: Path) -> None:
    result = await FfmpegStitchEncoder().render(job(await chunks(clip_dir, [[167], [163], [148]]), tmp_path))
    assert result.frames == 450 and (await probe(result.path)).frames == 450


def test_the_encoder_takes_its_bed_transition_and_concurrency_from_the_settings() -> None:
    settings = StitcherSettings(music_fade_in_s=1.0, music_fade_out_s=2.0, music_gain_db=-6.0,
                                music_loudness_lufs=-20.0, xfade_transition="dissolve", encode_concurrency=3)
    encoder = FfmpegStitchEncoder.from_settings(settings)
    assert encoder.bed == BedSettings(fade_in_s=1.0, fade_out_s=2.0, gain_db=-6.0, loudness_lufs=-20.0)
    assert encoder.transition == "dissolve" and encoder.concurrency == 3
    assert FfmpegStitchEncoder.from_settings(StitcherSettings(encode_concurrency=0)).concurrency is None
