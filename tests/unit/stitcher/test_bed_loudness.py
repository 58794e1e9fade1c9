"""Every music mood the planner can choose gives a bed at the platforms' audio target once it is delivered.

The bed is what every master and rendition carries (the stitcher muxes it by stream copy, the exporter copies it),
so a bed within −16 LUFS ± 1 LU and at most −1 dBTP true peak means masters and renditions are too. Measured on
the delivered AAC file with ffmpeg's ebur128, the same measurement the scorer makes.
"""

from pathlib import Path

import pytest
import yaml

from admint.contracts.plan import MusicSpec
from admint.media.audio import BedSettings, measure_ebur128, render_bed
from admint.providers.ports import MusicRequest
from admint.stitcher.offline_music import MINOR_MOODS, OfflineMusicModel, arrangement_for

pytestmark = pytest.mark.unit

PLANNER_DATA = Path(__file__).resolve().parents[3] / "services" / "planner" / "src" / "admint" / "planner" / "data"


def planner_moods() -> list[tuple[str, int]]:
    """(mood, tempo) of every bed the offline planner can ask for: the tones' moods and the archetypes' moods at
    the fast end of their tempo range, plus the LLM planner's default and a minor mood (dramatic), which the
    offline planner never picks but a model may."""
    lexicon = yaml.safe_load((PLANNER_DATA / "lexicon.yaml").read_text())
    archetypes = yaml.safe_load((PLANNER_DATA / "archetypes.yaml").read_text())
    moods: dict[str, int] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("music_mood"), str):
                moods.setdefault(node["music_mood"], 100)
            music = node.get("music")
            if isinstance(music, dict) and isinstance(music.get("mood"), str):
                moods[music["mood"]] = int(max(music.get("tempo_bpm") or [100]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(lexicon)
    walk(archetypes)
    moods.setdefault("uplifting", 110)
    moods.setdefault(sorted(MINOR_MOODS)[0], 120)
    return sorted(moods.items())


def test_the_moods_cover_every_arrangement() -> None:
    arrangements = {arrangement_for(MusicSpec(mood=m, tempo_bpm=t)) for m, t in planner_moods()}
    assert {a.progression for a in arrangements} == {"major", "minor", "calm"}
    assert len(planner_moods()) >= 10


@pytest.mark.parametrize(("mood", "tempo"), planner_moods())
async def test_every_mood_is_delivered_at_the_loudness_target(mood: str, tempo: int, tmp_path: Path) -> None:
    track = await OfflineMusicModel().compose(
        MusicRequest(music=MusicSpec(mood=mood, tempo_bpm=tempo), duration_s=15.0, seed=11, workdir=tmp_path))
    bed = await render_bed(track.path, 15.0, tmp_path / "bed.m4a", BedSettings())
    measured = await measure_ebur128(bed)
    assert measured.integrated_lufs is not None and abs(measured.integrated_lufs - -16.0) <= 1.0, measured
    assert measured.true_peak_dbtp is not None and measured.true_peak_dbtp <= -1.0, measured
