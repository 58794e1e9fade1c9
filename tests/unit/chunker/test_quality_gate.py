"""The quality gate's decisions: keep, render again, or keep the best take when no retakes are left."""

import pytest

from admint.chunker.quality_gate import decide

pytestmark = pytest.mark.unit


def test_a_take_at_or_above_the_threshold_is_kept() -> None:
    assert decide(60, 2, 0, {0: 60.0}).keep == 0
    assert decide(60, 2, 1, {0: 20.0, 1: 71.5}).keep == 1


def test_a_take_below_it_is_rendered_again_until_the_retakes_run_out() -> None:
    first = decide(60, 2, 0, {0: 41.0})
    assert (first.keep, first.retake) == (None, 1) and "rendering take 1" in first.note
    assert decide(60, 2, 1, {0: 41.0, 1: 55.0}).retake == 2


def test_after_the_last_retake_the_best_take_is_kept() -> None:
    assert decide(60, 2, 2, {0: 41.0, 1: 55.0, 2: 50.0}).keep == 1
    assert decide(60, 2, 2, {0: 55.0, 1: 55.0, 2: 50.0}).keep == 0  # the earliest of equals
    assert decide(60, 0, 0, {0: 10.0}).keep == 0  # no retakes allowed: the one take is kept


def test_a_take_that_could_not_be_measured_passes() -> None:
    assert decide(60, 2, 0, {0: None}).keep == 0
    assert decide(60, 2, 2, {0: None, 1: 30.0, 2: 20.0}).keep == 1  # the measured best, when one must be chosen
