"""score_clip / score_master on small encoded clips: what is measured, what is left out, and the report."""

from pathlib import Path

import numpy as np
import pytest

from admint.scorer.dimensions import Dimension
from admint.scorer.overall import overall_score
from admint.scorer.report import QualityReport, score_clip, score_master
from admint.scorer.sampling import Sampling
from tests.support.degrade import encode
from tests.unit.scorer.synthetic import camera, steady_pan

pytestmark = pytest.mark.unit


async def test_a_clip_without_caption_or_audio_leaves_those_dimensions_out(tmp_path: Path) -> None:
    report = await score_clip(encode(steady_pan(frames=30), tmp_path / "pan.mp4"))
    assert set(report.dimensions) == {d.value for d in Dimension} - {
        "caption_legibility", "join_smoothness", "loudness"}
    assert report.overall == pytest.approx(overall_score(report.dimensions), abs=0.01)
    assert report.sampled_frames == 30 and report.analysis_size == (180, 320) and report.seconds > 0
    assert QualityReport.model_validate_json(report.model_dump_json()) == report


async def test_sampling_settings_reach_the_report(tmp_path: Path) -> None:
    path = encode(steady_pan(frames=30), tmp_path / "pan.mp4")
    report = await score_clip(path, sampling=Sampling(long_side=160, fps=15, stills=4))
    assert report.sampled_frames == 15 and report.analysis_size == (90, 160)


async def test_a_master_is_consistent_per_beat_even_when_its_beats_differ(tmp_path: Path) -> None:
    path_a = np.stack([np.arange(30) * 0.6, np.zeros(30)], axis=1)
    beats = np.concatenate([camera(path_a, palette=0), camera(path_a, palette=1)])
    path = encode(beats, tmp_path / "two-beats.mp4")
    as_master = await score_master(path, [1.0], transition_kind="cut")
    as_clip = await score_clip(path)
    assert as_master.dimensions["subject_consistency"] > 90 > 40 > as_clip.dimensions["subject_consistency"]
    assert as_master.dimensions["join_smoothness"] > 90
