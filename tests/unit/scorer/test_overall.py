"""The overall score: weights from the one weights.yaml, validated; unmeasured dimensions renormalised away."""

import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from admint.scorer.dimensions import Dimension
from admint.scorer.overall import Weights, load_weights, overall_score

pytestmark = pytest.mark.unit


def test_packaged_weights_cover_every_dimension() -> None:
    weights = load_weights()
    assert set(weights.weights) == set(Dimension)
    assert all(w > 0 for w in weights.weights.values())


def equal_weights() -> Weights:
    return Weights(weights={d: 1.0 for d in Dimension})


def test_all_perfect_is_100_and_the_mean_is_geometric() -> None:
    weights = equal_weights()
    assert overall_score({d: 100.0 for d in Dimension}, weights) == pytest.approx(100.0)
    two = {Dimension.SHARPNESS: 100.0, Dimension.EXPOSURE: 25.0}
    assert overall_score(two, weights) == pytest.approx(50.0)  # √(100·25), where the average would say 62.5


def test_unmeasured_dimensions_are_left_out_and_the_weights_renormalised() -> None:
    weights = equal_weights()
    with_none = {Dimension.SHARPNESS: 80.0, Dimension.EXPOSURE: 80.0, Dimension.LOUDNESS: None}
    assert overall_score(with_none, weights) == pytest.approx(80.0)
    assert overall_score({}, weights) == 0.0


def test_weights_shift_the_overall_towards_heavier_dimensions() -> None:
    heavy = Weights(weights={d: (3.0 if d == Dimension.EXPOSURE else 1.0) for d in Dimension})
    scores = {Dimension.SHARPNESS: 100.0, Dimension.EXPOSURE: 25.0}
    assert overall_score(scores, heavy) == pytest.approx(math.exp((math.log(100) + 3 * math.log(25)) / 4))


def test_a_zero_is_floored_so_one_dead_dimension_does_not_zero_the_ad() -> None:
    weights = equal_weights()
    scores = {Dimension.SHARPNESS: 100.0, Dimension.EXPOSURE: 0.0}
    assert overall_score(scores, weights) == pytest.approx(10.0)  # √(100·1)


def test_unknown_dimension_names_are_an_error() -> None:
    with pytest.raises(ValueError, match="sharpnes"):
        overall_score({"sharpnes": 90.0}, equal_weights())


def test_a_weights_file_must_be_complete_and_non_negative(tmp_path: Path) -> None:
    incomplete = tmp_path / "incomplete.yaml"
    incomplete.write_text("weights:\n  sharpness: 1.0\n")
    with pytest.raises(ValidationError, match="lacks"):
        load_weights(incomplete)
    negative = tmp_path / "negative.yaml"
    negative.write_text("weights:\n" + "".join(f"  {d}: {-1 if d == 'loudness' else 1}\n" for d in Dimension))
    with pytest.raises(ValidationError, match="loudness"):
        load_weights(negative)
    typo = tmp_path / "typo.yaml"
    typo.write_text("weights:\n" + "".join(f"  {d}: 1\n" for d in Dimension) + "  sharpnes: 1\n")
    with pytest.raises(ValidationError):
        load_weights(typo)
    custom = tmp_path / "custom.yaml"
    custom.write_text("floor: 5\nweights:\n" + "".join(f"  {d}: 2\n" for d in Dimension))
    assert load_weights(custom).floor == 5.0
