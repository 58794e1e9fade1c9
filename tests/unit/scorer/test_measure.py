"""The VideoScorer adapter with real ffmpeg: a chunk's caption read while shown, a master's loudness measured, the
CPU of scoring counted, and an unscorable file turned into ScoringFailed."""

from pathlib import Path

import numpy as np
import pytest

from admint.contracts.chunks import CaptionShown
from admint.media.ffmpeg import ffmpeg
from admint.scorer.measure import MediaVideoScorer
from admint.scorer.ports import Joins, ScoringFailed
from admint.scorer.sampling import Sampling
from tests.support.degrade import CAPTION, amplitude_for, burn, caption_for, encode, render_frames, tone

pytestmark = pytest.mark.unit
W, H = 180, 320


@pytest.fixture(scope="module")
async def frames(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return await render_frames(tmp_path_factory.mktemp("beat"), W, H, 2.0)


async def test_a_caption_shown_for_part_of_a_chunk_is_read_only_while_it_is_shown(
    frames: np.ndarray, tmp_path: Path
) -> None:
    half = len(frames) // 2
    captioned = np.concatenate([frames[:half], burn(frames[half:], caption_for(W, H))])
    path = encode(captioned, tmp_path / "chunk.mp4")
    scorer = MediaVideoScorer()
    while_shown = await scorer.score_chunk(path, CaptionShown(text=CAPTION, start_s=1.1, end_s=2.0))
    whole_clip = await scorer.score_chunk(path, CaptionShown(text=CAPTION, start_s=0.0, end_s=2.0))
    assert while_shown.dimensions["caption_legibility"] > 60  # this caption on this scene, read where it is
    assert whole_clip.dimensions["caption_legibility"] < while_shown.dimensions["caption_legibility"] - 20
    bare = await scorer.score_chunk(path, None)
    assert "caption_legibility" not in bare.dimensions and bare.sampled_frames == len(frames)
    assert 0 < while_shown.cpu_s and while_shown.integrated_lufs is None


async def test_a_master_is_scored_with_its_joins_and_its_loudness(frames: np.ndarray, tmp_path: Path) -> None:
    video = encode(np.concatenate([frames, frames[::-1]]), tmp_path / "video.mp4")
    audio = tone(tmp_path / "tone.wav", amplitude_for(-16.0), seconds=4.0)
    master = tmp_path / "master.mp4"
    await ffmpeg("-i", str(video), "-i", str(audio), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac",
                 "-shortest", str(master))
    scores = await MediaVideoScorer(Sampling(fps=15)).score_master(master, Joins((2.0,), "cut", 0.0))
    assert {"join_smoothness", "loudness"} <= set(scores.dimensions)
    assert scores.integrated_lufs == pytest.approx(-16.0, abs=0.7) and scores.dimensions["loudness"] == 100
    assert scores.true_peak_dbtp is not None and scores.sampled_frames == 60  # 4 s at the configured 15 fps


async def test_a_file_with_no_video_cannot_be_scored(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video at all")
    with pytest.raises(ScoringFailed):
        await MediaVideoScorer().score_chunk(bogus, None)
