"""Plan edits are checked like the planner's own output: allowed durations that keep the total (start times
re-tiled), captions that fit the safe zone at the generation's size, and every problem pointed at in the patch."""

from collections.abc import Mapping

import pytest

from admint.contracts.common import FrameSize
from admint.contracts.feedback import BeatEdit, PlanPatch
from admint.plans.plan_edits import PlanEditError, apply_plan_edits
from tests.unit.planner.plans import LANDSCAPE, SMALL, VERTICAL, plan_of

pytestmark = pytest.mark.unit
PLAN = plan_of(5, 5, 10, 5, 5)


def patch(**body: object) -> PlanPatch:
    return PlanPatch.model_validate(body)


def problems(body: Mapping[str, object], size: FrameSize = VERTICAL) -> list[tuple[str, str]]:
    with pytest.raises(PlanEditError) as info:
        apply_plan_edits(PLAN, patch(**body), size=size)
    return [(p.pointer, p.type) for p in info.value.problems]


def test_durations_move_between_beats_and_start_times_are_re_tiled() -> None:
    edited = apply_plan_edits(
        PLAN,
        patch(
            beats=[
                {"index": 1, "duration_s": 10, "caption": "Sharp  all\nmorning"},
                {"index": 2, "duration_s": 5},
            ]
        ),
        size=VERTICAL,
    )
    assert [b.duration_s for b in edited.beats] == [5, 10, 5, 5, 5]
    assert [b.start_s for b in edited.beats] == [0, 5, 15, 20, 25]
    assert edited.beats[1].caption == "Sharp all morning"  # whitespace normalised as the renderer would
    assert edited.beats[1].prompt == PLAN.beats[1].prompt and edited.beats[1].beat_id == PLAN.beats[1].beat_id
    assert edited.beats[0] == PLAN.beats[0] and edited.call_to_action == PLAN.call_to_action


def test_every_editable_field_is_applied() -> None:
    edit = BeatEdit(
        index=4, caption="", camera_movement="orbit", action="The can spins.", prompt="A can", energy=1
    )
    beat = apply_plan_edits(PLAN, PlanPatch(beats=[edit]), size=VERTICAL).beats[4]
    assert (beat.caption, beat.camera_movement, beat.action, beat.prompt, beat.energy) == (
        "",
        "orbit",
        "The can spins.",
        "A can",
        1,
    )


def test_an_empty_patch_changes_nothing() -> None:
    assert apply_plan_edits(PLAN, PlanPatch(), size=VERTICAL) == PLAN


def test_beats_that_no_longer_add_up_are_refused_with_advice() -> None:
    with pytest.raises(PlanEditError) as info:
        apply_plan_edits(PLAN, patch(beats=[{"index": 0, "duration_s": 10}]), size=VERTICAL)
    (problem,) = info.value.problems
    assert (problem.pointer, problem.type) == ("/beats", "duration_total")
    assert "add up to 35 s but the ad lasts 30 s: shorten another beat by 5 s" in problem.msg
    with pytest.raises(PlanEditError, match="lengthen another beat by 5 s"):
        apply_plan_edits(PLAN, patch(beats=[{"index": 2, "duration_s": 5}]), size=VERTICAL)


def test_a_duration_outside_the_allowed_set_is_refused_even_unvalidated() -> None:
    unvalidated = PlanPatch.model_construct(beats=[BeatEdit.model_construct(index=0, duration_s=7)])
    with pytest.raises(PlanEditError) as info:
        apply_plan_edits(PLAN, unvalidated, size=VERTICAL)
    assert ("/beats/0/duration_s", "duration") in [(p.pointer, p.type) for p in info.value.problems]
    assert "Beats last 5, 10 or 15 seconds." in str(info.value)


def test_unknown_and_duplicate_beats_point_at_the_edit_in_the_patch_body() -> None:
    body = {
        "beats": [{"index": 0, "caption": "a"}, {"index": 7, "caption": "b"}, {"index": 0, "caption": "c"}]
    }
    assert problems(body) == [("/beats/1/index", "unknown_beat"), ("/beats/2/index", "duplicate_beat")]
    with pytest.raises(PlanEditError, match="There is no Beat 8: the plan has 5"):
        apply_plan_edits(PLAN, patch(**body), size=VERTICAL)


def test_captions_are_limited_to_a_glance() -> None:
    long = "Cold for twenty-four hours and hot for twelve more"  # 50 characters
    assert problems({"beats": [{"index": 3, "caption": long}]}) == [("/beats/0/caption", "caption_too_long")]


def test_a_caption_must_fit_the_safe_zone_at_the_generations_frame_size() -> None:
    too_wide = {"beats": [{"index": 0, "caption": "x" * 40}]}  # one word wider than the 9:16 safe zone
    assert problems(too_wide, VERTICAL) == [("/beats/0/caption", "caption_overflow")]
    assert apply_plan_edits(PLAN, patch(**too_wide), size=LANDSCAPE).beats[0].caption == "x" * 40
    with pytest.raises(
        PlanEditError, match=r"Beat 1's caption has a word too wide for the safe zone at 1080×1920"
    ):
        apply_plan_edits(PLAN, patch(**too_wide), size=VERTICAL)


def test_the_call_to_action_is_normalised_and_must_fit_its_card() -> None:
    edited = apply_plan_edits(PLAN, patch(call_to_action="  Shop   now "), size=VERTICAL)
    assert edited.call_to_action == "Shop now"
    assert problems({"call_to_action": "   "}) == [("/call_to_action", "empty")]
    long = "Cold for 24 hours, hot for 12 — every single day, all year"  # 3 lines on a small frame
    assert problems({"call_to_action": long}, SMALL) == [("/call_to_action", "call_to_action_overflow")]
    assert apply_plan_edits(PLAN, patch(call_to_action=long), size=VERTICAL).call_to_action == long


def test_a_palette_edit_is_checked_colour_by_colour() -> None:
    assert problems({"palette": ["#112233", "orange", "#abc"]}) == [
        ("/palette/1", "colour"),
        ("/palette/2", "colour"),
    ]
    edited = apply_plan_edits(PLAN, patch(palette=["#FFAA00", "#112233"]), size=VERTICAL)
    assert edited.style.palette == ["#ffaa00", "#112233"] and edited.style.keywords == PLAN.style.keywords


def test_blank_prompts_are_refused() -> None:
    assert problems({"beats": [{"index": 1, "prompt": "   "}]}) == [("/beats/0/prompt", "empty")]


def test_all_problems_come_back_together_in_the_gateways_error_shape() -> None:
    body = {
        "beats": [
            {"index": 0, "duration_s": 10},
            {"index": 9, "caption": "x"},
            {"index": 2, "caption": "y" * 49},
        ],
        "palette": ["#000000", "nope"],
    }
    with pytest.raises(PlanEditError) as info:
        apply_plan_edits(PLAN, patch(**body), size=VERTICAL)
    errors = info.value.errors()
    assert [e["pointer"] for e in errors] == ["/beats/1/index", "/beats/2/caption", "/beats", "/palette/1"]
    assert errors[1]["loc"] == ["body", "beats", 2, "caption"] and errors[1]["type"] == "caption_too_long"
    assert errors[2]["loc"] == ["body", "beats"]
    assert all(e["msg"] for e in errors)
