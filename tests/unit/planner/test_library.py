"""The planner's data files: 15 beats, 5 archetypes, 3 frameworks, a lexicon — loaded and cross-checked."""

import copy

import pytest
import yaml
from pydantic import ValidationError

from admint.planner.library import DATA_DIR, DURATIONS, Library, load_library, placeholders

pytestmark = pytest.mark.unit


def _raw() -> dict:
    read = lambda name: yaml.safe_load((DATA_DIR / name).read_text())  # noqa: E731
    return {
        "version": 1,
        "beats": {b["id"]: b for b in read("beats.yaml")["beats"]},
        "archetypes": {a["id"]: a for a in read("archetypes.yaml")["archetypes"]},
        "frameworks": read("frameworks.yaml")["frameworks"],
        "lexicon": read("lexicon.yaml"),
    }


def test_library_has_15_beats_5_archetypes_and_the_three_frameworks() -> None:
    lib = load_library()
    assert len(lib.beats) == 15
    assert len(lib.archetypes) == 5
    assert set(lib.frameworks) == {"AIDA", "PAS", "FAB"}
    assert {"luxury_showcase", "problem_solution", "lifestyle", "feature_demo", "social_proof"} == set(
        lib.archetypes
    )


def test_every_beat_carries_the_fields_the_composer_needs() -> None:
    for beat in load_library().beats.values():
        assert beat.shot_type and beat.camera_movements and beat.positions and beat.roles and beat.products
        assert 0 <= beat.energy <= 1
        assert "{product}" in beat.prompt or beat.id in {"problem_moment", "frustration_closeup"}


def test_every_duration_is_covered_and_sequences_open_and_close_properly() -> None:
    lib = load_library()
    for duration in DURATIONS:
        assert any(a.fits(duration) for a in lib.archetypes.values())
    for arch in lib.archetypes.values():
        assert "opening" in lib.beats[arch.sequence[0]].positions
        assert "closing" in lib.beats[arch.sequence[-1]].positions
        assert arch.energy_at(0) == arch.energy_curve[0] and arch.energy_at(1) == arch.energy_curve[-1]


def test_every_framework_ends_with_action_and_has_plain_captions_for_sparse_briefs() -> None:
    for fw in load_library().frameworks.values():
        assert fw.roles[-1].role == "action"
        for role in fw.roles[:-1]:
            assert any(not placeholders(c) for c in role.captions)


def test_a_beat_naming_an_unknown_role_is_refused() -> None:
    raw = _raw()
    raw["beats"]["macro_hook"]["roles"] = ["attention", "teleportation"]
    with pytest.raises(ValidationError, match="unknown roles"):
        Library.model_validate(raw)


def test_an_archetype_using_an_unknown_beat_is_refused() -> None:
    raw = _raw()
    raw["archetypes"]["lifestyle"]["sequence"][1] = "no_such_beat"
    with pytest.raises(ValidationError, match="unknown beat"):
        Library.model_validate(raw)


def test_an_archetype_that_closes_on_an_opening_only_beat_is_refused() -> None:
    raw = _raw()
    raw["archetypes"]["lifestyle"]["sequence"][-1] = "establishing_wide"
    with pytest.raises(ValidationError, match="closes with"):
        Library.model_validate(raw)


def test_a_gap_in_duration_coverage_is_refused() -> None:
    raw = _raw()
    for arch in raw["archetypes"].values():
        arch["duration_range_s"] = [20, 60]
    with pytest.raises(ValidationError, match=r"no archetype covers durations \[15\]"):
        Library.model_validate(raw)


def test_unknown_placeholders_and_bad_palettes_are_refused() -> None:
    raw = _raw()
    raw["beats"]["macro_hook"]["prompt"] = "shot of {prodcut}"
    with pytest.raises(ValidationError, match="unknown placeholders"):
        Library.model_validate(raw)
    raw = _raw()
    raw["lexicon"]["tones"]["calm"]["palettes"][0] = ["#fff", "#000000"]
    with pytest.raises(ValidationError, match="#rrggbb"):
        Library.model_validate(copy.deepcopy(raw))
