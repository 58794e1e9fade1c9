"""The two helpers under the feedback interpreter: moving time between beats, and finding the beats a
message names."""

import pytest

from admint.planner.beat_refs import EVERY, MISSING, mark_references, references_in
from admint.planner.feedback_lexicon import load_feedback_lexicon
from admint.planner.retiming import retime, step

pytestmark = pytest.mark.unit
REFS = load_feedback_lexicon().references


@pytest.mark.parametrize(
    ("durations", "index", "new", "expected"),
    [
        ([10, 5, 10, 5], 1, 10, [10, 10, 5, 5]),  # the next beat pays first
        ([10, 5, 10, 5], 3, 10, [10, 5, 5, 10]),  # the last beat has only a previous one
        (
            [10, 5, 5, 10],
            1,
            15,
            [5, 15, 5, 5],
        ),  # next cannot pay (5 s): the previous, then the one after next
        ([5, 5, 10, 5, 5], 0, 10, [10, 5, 5, 5, 5]),  # farther out when the neighbour has nothing to give
        ([10, 5, 10, 5], 0, 5, [5, 10, 10, 5]),  # shorter: the next beat takes the time
    ],
)
def test_retime_keeps_the_total_with_the_nearest_beats(
    durations: list[int], index: int, new: int, expected: list[int]
) -> None:
    result = retime(durations, index, new)
    assert result.problem is None and result.durations == expected
    assert sum(result.durations) == sum(durations)


def test_retime_explains_when_no_beat_can_absorb_the_change() -> None:
    full = retime([15, 15, 15, 15], 2, 5)
    assert full.durations == [15, 15, 15, 15]
    assert (
        full.problem
        == "Beat 3 cannot become 5 s while the ad keeps its length: every other beat is already 15 s."
    )
    assert "no other beat can be shorter" in (retime([5, 5, 5], 0, 15).problem or "")


def test_retime_refuses_lengths_beats_cannot_have() -> None:
    assert retime([10, 5], 0, 7).problem == "Beat 1 cannot last 7 s: beats last 5, 10 or 15 seconds."


def test_a_step_stops_at_the_limits() -> None:
    assert step([10, 5], 0, -1).durations == [5, 10]
    assert step([5, 10], 0, -1).problem == "Beat 1 is already 5 s, the shortest a beat can be."
    assert step([15, 5], 0, 1).problem == "Beat 1 is already 15 s, the longest a beat can be."


@pytest.mark.parametrize(
    ("text", "beats"),
    [
        ("beat 3", [2]),
        ("Scene Two", [1]),
        ("the third shot", [2]),
        ("the 2nd clip", [1]),
        ("beat #4's caption", [3]),
        ("the hook", [0]),
        ("the opening scene", [0]),
        ("the ending", [4]),
        ("the last shot", [4]),
        ("the final scene", [4]),
        ("the penultimate beat", [3]),
        ("the second-to-last shot", [3]),
        ("beats 2 and 3", [1, 2]),
        ("scenes 1, 2 & 4", [0, 1, 3]),
        ("beats 2-4", [1, 2, 3]),
        ("scenes 1 to 2", [0, 1]),
        ("every scene", [EVERY]),
        ("the whole ad", [EVERY]),
        ("beat 9", [MISSING]),
        ("warmer colours", []),
        ("the second time", []),
    ],
)
def test_references(text: str, beats: list[int]) -> None:
    marked, notes = mark_references(text, 5, REFS)
    assert references_in(marked) == beats
    assert bool(notes) == (MISSING in beats)


def test_a_missing_beat_is_explained_once() -> None:
    _, notes = mark_references("beat 9 and beat 9", 5, REFS)
    assert notes == ["There is no beat 9: the plan has 5."]
