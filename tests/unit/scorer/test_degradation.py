"""The scores mean something: every deliberately degraded copy of one clean clip scores lower than the clean
clip on the dimension it damages and on the overall score, with clear margins; the same for a master's join
and its loudness. Run with -s to see the table."""

from pathlib import Path

import numpy as np
import pytest

from admint.media.ffmpeg import ffmpeg
from admint.scorer.dimensions import Dimension
from admint.scorer.loudness import LoudnessTarget
from admint.scorer.report import QualityReport, score_clip, score_master
from tests.support.degrade import (
    OWN_DIMENSION,
    amplitude_for,
    degradation_table,
    encode,
    render_frames,
    render_suite,
    tone,
)

pytestmark = pytest.mark.unit
DIMENSION_MARGIN = 25.0
OVERALL_MARGIN = 5.0


@pytest.fixture(scope="module")
async def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, QualityReport]:
    caption, clips = await render_suite(tmp_path_factory.mktemp("degradation"))
    return {name: await score_clip(path, caption=caption) for name, path in clips.items()}


def test_the_clean_clip_scores_well(reports: dict[str, QualityReport]) -> None:
    clean = reports["clean"]
    assert clean.overall > 85
    assert set(clean.dimensions) == {d.value for d in Dimension} - {"join_smoothness", "loudness"}
    assert clean.sampled_frames == 75 and clean.analysis_size == (180, 320)
    print("\n" + degradation_table(clean, {n: r for n, r in reports.items() if n != "clean"}))


@pytest.mark.parametrize("copy", list(OWN_DIMENSION))
def test_a_degraded_copy_scores_lower_on_its_dimension_and_overall(reports: dict[str, QualityReport],
                                                                  copy: str) -> None:
    clean, degraded, dimension = reports["clean"], reports[copy], OWN_DIMENSION[copy]
    assert degraded.dimensions[dimension] < clean.dimensions[dimension] - DIMENSION_MARGIN, degraded
    assert degraded.overall < clean.overall - OVERALL_MARGIN, degraded


JOIN_S = 1.5
"""The master's one join begins here: beat A's frames 45–59 crossfade into beat B's first 15."""


async def master(workdir: Path, name: str, *, glitch: bool = False, audio: Path | None = None) -> Path:
    """Two offline-rendered beats of 2 s joined at 1.5 s by a 0.5 s crossfade (105 frames, 3.5 s); `glitch`
    replaces the crossfade by a hard cut with two frames of garbage (inverted picture) at the join."""
    a = await render_frames(workdir, 180, 320, 2.0, palette=0, movement="pan_left")
    b = await render_frames(workdir, 180, 320, 2.0, palette=1, movement="dolly_in", seed=12)
    if glitch:
        join = np.concatenate([255 - b[:2], b[2:15]])
    else:
        weights = (np.arange(15) + 1)[:, None, None, None] / 16
        join = (a[45:60] * (1 - weights) + b[:15] * weights + 0.5).astype(np.uint8)
    video = encode(np.concatenate([a[:45], join, b[15:60]]), workdir / f"{name}-video.mp4")
    if audio is None:
        return video
    out = workdir / f"{name}.mp4"
    await ffmpeg("-i", str(video), "-i", str(audio), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac",
                 "-b:a", "192k", "-shortest", str(out))
    return out


async def test_a_glitch_at_the_join_costs_join_smoothness_and_overall(tmp_path: Path) -> None:
    clean = await score_master(await master(tmp_path, "clean"), [JOIN_S])
    glitched = await score_master(await master(tmp_path, "glitched", glitch=True), [JOIN_S])
    print(f"\njoin_smoothness clean {clean.dimensions['join_smoothness']:.1f} "
          f"glitched {glitched.dimensions['join_smoothness']:.1f}; overall {clean.overall:.1f} → "
          f"{glitched.overall:.1f}")
    assert "loudness" not in clean.dimensions  # no audio track: left out, weights renormalised
    assert clean.dimensions["join_smoothness"] > 80
    assert glitched.dimensions["join_smoothness"] < clean.dimensions["join_smoothness"] - 50
    assert glitched.overall < clean.overall - OVERALL_MARGIN


async def test_a_master_at_target_loudness_scores_high_and_a_quiet_or_clipped_one_low(tmp_path: Path) -> None:
    target = tone(tmp_path / "target.wav", amplitude_for(-16.0), seconds=3.5)
    quiet = tone(tmp_path / "quiet.wav", amplitude_for(-26.0), seconds=3.5)
    clipped = tone(tmp_path / "clipped.wav", 3.0, seconds=3.5, clip=True)
    reports = {name: await score_master(await master(tmp_path, name, audio=wav), [JOIN_S],
                                        loudness_target=LoudnessTarget())
               for name, wav in (("target", target), ("quiet", quiet), ("clipped", clipped))}
    print("\nloudness " + ", ".join(f"{n} {r.dimensions['loudness']:.1f} (overall {r.overall:.1f})"
                                    for n, r in reports.items()))
    assert reports["target"].dimensions["loudness"] > 90
    for bad in ("quiet", "clipped"):
        assert reports[bad].dimensions["loudness"] < 15
        assert reports[bad].overall < reports["target"].overall - OVERALL_MARGIN
