"""Applying an intent: real colour maths on the palette, hints written into beats, edits through the plan-edit
validation, and for each changed beat the least rendering that brings it up to date."""

import colorsys

import pytest

from admint.contracts.feedback import FeedbackIntent, RenderHints
from admint.plans.palette import hue_distance, shift_colour, shift_palette
from admint.plans.plan_edits import PlanEditError
from admint.plans.steering import (
    apply_hints,
    apply_intent,
    merge_hints,
    redo_needed,
    render_changes,
    take_seed,
    with_terms,
)
from tests.unit.planner.plans import VERTICAL, plan_of

pytestmark = pytest.mark.unit
PLAN = plan_of(5, 5, 10, 5, 5)
CHROMATIC = ["#1f3b4d", "#a8d5ba", "#4b0082", "#ff0000", "#2e8b57", "#c71585"]


def hls(colour: str) -> tuple[float, float, float]:
    return colorsys.rgb_to_hls(*(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)))


def intent(**fields: object) -> FeedbackIntent:
    return FeedbackIntent.model_validate(
        {"understood": "ok", "interpreter": "test", "confidence": 1, **fields}
    )


@pytest.mark.parametrize(("shift", "target"), [("warmer", 30 / 360), ("cooler", 210 / 360)])
@pytest.mark.parametrize("colour", CHROMATIC)
def test_warmer_and_cooler_turn_hues_toward_orange_and_blue_keeping_lightness(
    colour: str, shift: str, target: float
) -> None:
    before, after = hls(colour), hls(shift_colour(colour, shift))  # type: ignore[arg-type]
    assert hue_distance(after[0], target) < hue_distance(before[0], target)
    assert hue_distance(after[0], before[0]) <= 20 / 360 + 0.01  # one moderate step
    assert abs(after[1] - before[1]) < 0.01


def test_exact_colour_shifts() -> None:
    assert shift_colour("#ff0000", "warmer") == "#ff5500"  # hue 0° → 20°
    assert shift_colour("#ff8000", "warmer") == "#ff8000"  # already orange
    assert shift_colour("#000000", "brighter") == "#404040"  # a quarter of the way to white
    assert shift_colour("#808080", "darker") == "#606060"  # lightness × 0.75
    assert shift_colour("#bf4040", "less_saturated") == "#a65959"  # saturation × 0.6, same hue and lightness


def test_greys_take_a_faint_tint_but_black_and_white_stay() -> None:
    r, g, b = (int(shift_colour("#808080", "warmer")[i : i + 2], 16) for i in (1, 3, 5))
    assert r > g > b and r - b < 60
    r, g, b = (int(shift_colour("#808080", "cooler")[i : i + 2], 16) for i in (1, 3, 5))
    assert b > g > r
    assert shift_colour("#000000", "warmer") == "#000000" and shift_colour("#ffffff", "cooler") == "#ffffff"


def test_saturation_and_lightness_move_the_right_way() -> None:
    for colour in CHROMATIC:
        h, lightness, s = hls(colour)
        assert hls(shift_colour(colour, "more_saturated"))[2] > s or s > 0.99
        muted = hls(shift_colour(colour, "less_saturated"))
        assert muted[2] < s and hue_distance(muted[0], h) < 0.02  # the hue stays
        assert hls(shift_colour(colour, "brighter"))[1] > lightness
        assert hls(shift_colour(colour, "darker"))[1] < lightness


def test_palette_shifts_apply_in_order_to_every_colour() -> None:
    palette = ["#1F3B4D", "#a8d5ba", "#f4f1ea"]
    shifted = shift_palette(palette, ["warmer", "darker"])
    assert shifted == [shift_colour(shift_colour(c, "warmer"), "darker").lower() for c in palette]
    assert all(c == c.lower() and len(c) == 7 for c in shifted) and shifted != [c.lower() for c in palette]
    assert shift_palette(palette, []) == [c.lower() for c in palette]


def test_hints_merge_global_first_then_the_beats_own() -> None:
    merged = merge_hints(
        RenderHints(
            palette=["warmer"], prompt_terms=["film grain"], camera_movement="pan_left", energy_delta=0.7
        ),
        RenderHints(
            palette=["darker"],
            prompt_terms=["film grain", "rim light"],
            camera_movement="orbit",
            energy_delta=0.5,
        ),
    )
    assert merged.palette == ["warmer", "darker"] and merged.prompt_terms == ["film grain", "rim light"]
    assert merged.camera_movement == "orbit" and merged.energy_delta == 1.0


def test_hints_change_prompt_energy_and_camera() -> None:
    beat = PLAN.beats[0]
    hinted = apply_hints(
        beat,
        RenderHints(
            prompt_terms=["dramatic lighting"], palette=["darker"], energy_delta=0.9, camera_movement="static"
        ),
    )
    assert hinted.prompt == f"{beat.prompt}, dramatic lighting, low-key lighting"
    assert hinted.energy == 1.0 and hinted.camera_movement == "static" and hinted.caption == beat.caption
    assert apply_hints(beat, RenderHints(energy_delta=-1)).energy == 0.0


def test_prompt_terms_are_added_once_and_a_colour_word_replaces_its_opposite() -> None:
    prompt = "A crowd of 1,000 fans, warm colour grade"
    assert with_terms(prompt, ["Film grain"]) == "A crowd of 1,000 fans, warm colour grade, Film grain"
    assert (
        with_terms(prompt, ["film grain", "FILM GRAIN"])
        == "A crowd of 1,000 fans, warm colour grade, film grain"
    )
    assert with_terms(prompt, [], ["cooler"]) == "A crowd of 1,000 fans, cool colour grade"
    assert with_terms(prompt, [], ["warmer"]) == prompt


def test_render_changes_leave_out_beats_without_hints() -> None:
    changes = render_changes(
        PLAN,
        intent(
            kind="regenerate",
            regenerate=[{"index": 2, "hints": {"new_take": True}}],
            style={"palette": ["cooler"]},
        ),
    )
    assert sorted(changes) == [0, 1, 2, 3, 4] and changes[2] == RenderHints(palette=["cooler"], new_take=True)
    only = render_changes(
        PLAN, intent(kind="regenerate", regenerate=[{"index": 1, "hints": {"new_take": True}}])
    )
    assert list(only) == [1]


def test_approval_changes_nothing() -> None:
    steered = apply_intent(PLAN, intent(kind="approve"), size=VERTICAL)
    assert steered.plan == PLAN and steered.renders == {}


def test_edits_re_tile_and_need_only_as_much_rendering_as_they_change() -> None:
    steered = apply_intent(
        PLAN,
        intent(
            kind="edit",
            edits=[
                {"index": 0, "duration_s": 10},
                {"index": 2, "duration_s": 5},
                {"index": 4, "caption": "Go"},
            ],
        ),
        size=VERTICAL,
    )
    assert [b.start_s for b in steered.plan.beats] == [0, 10, 15, 20, 25]
    assert {i: r.redo for i, r in steered.renders.items()} == {0: "video", 2: "video", 4: "caption"}
    assert steered.renders[4].beat.caption == "Go" and steered.renders[4].style == PLAN.style


def test_a_more_dramatic_beat_is_written_into_the_plan_and_rendered_darker() -> None:
    dramatic = RenderHints(
        energy_delta=0.2, palette=["darker"], camera_movement="dolly_in", prompt_terms=["dramatic lighting"]
    )
    steered = apply_intent(
        PLAN,
        intent(kind="regenerate", regenerate=[{"index": 0, "hints": dramatic.model_dump()}]),
        size=VERTICAL,
    )
    beat = steered.plan.beats[0]
    assert beat.energy == round(PLAN.beats[0].energy + 0.2, 2) and beat.camera_movement == "dolly_in"
    assert beat.prompt.endswith("dramatic lighting, low-key lighting")
    assert steered.plan.style == PLAN.style  # one beat's colours are not the whole ad's
    (render,) = steered.renders.values()
    assert render.redo == "frame" and render.beat == beat and not render.new_take
    assert render.style.palette == shift_palette(PLAN.style.palette, ["darker"])
    assert steered.plan.beats[1:] == PLAN.beats[1:]


def test_a_global_colour_change_restyles_the_plan_and_every_beat() -> None:
    steered = apply_intent(PLAN, intent(kind="regenerate", style={"palette": ["warmer"]}), size=VERTICAL)
    assert steered.plan.style.palette == shift_palette(PLAN.style.palette, ["warmer"])
    assert sorted(steered.renders) == [0, 1, 2, 3, 4]
    assert all(r.redo == "frame" and r.style == steered.plan.style for r in steered.renders.values())
    assert all(b.prompt.endswith("warm colour grade") for b in steered.plan.beats)


def test_another_take_changes_only_the_seed() -> None:
    steered = apply_intent(
        PLAN, intent(kind="regenerate", regenerate=[{"index": 3, "hints": {"new_take": True}}]), size=VERTICAL
    )
    assert steered.plan == PLAN
    assert steered.renders[3].new_take and steered.renders[3].redo == "frame" and list(steered.renders) == [3]


def test_an_intent_that_cannot_apply_is_refused_with_pointers() -> None:
    with pytest.raises(PlanEditError) as info:
        apply_intent(
            PLAN,
            intent(kind="regenerate", regenerate=[{"index": 9, "hints": {"new_take": True}}]),
            size=VERTICAL,
        )
    assert info.value.problems[0].pointer == "/regenerate/0/index"
    with pytest.raises(PlanEditError, match="add up to 35 s"):
        apply_intent(PLAN, intent(kind="edit", edits=[{"index": 0, "duration_s": 10}]), size=VERTICAL)


def test_redo_levels() -> None:
    beat = PLAN.beats[1]
    assert redo_needed(beat, beat) is None
    assert redo_needed(beat, beat.model_copy(update={"caption": "New"})) == "caption"
    assert (
        redo_needed(beat, beat.model_copy(update={"camera_movement": "static", "caption": "New"})) == "video"
    )
    assert redo_needed(beat, beat.model_copy(update={"prompt": "Other", "duration_s": 10})) == "frame"


def test_takes_have_distinct_reproducible_seeds() -> None:
    assert take_seed(7, 2, 0) == 7
    seeds = {take_seed(7, 2, t) for t in range(1, 6)} | {take_seed(7, 3, 1)}
    assert len(seeds) == 6 and 7 not in seeds and take_seed(7, 2, 1) == take_seed(7, 2, 1)
    assert all(0 <= s < 2**31 for s in seeds)


def test_redo_between_hand_edits() -> None:
    from admint.contracts.feedback import BeatEdit, PlanPatch
    from admint.plans.plan_edits import apply_plan_edits
    from admint.plans.steering import redo_between

    old = plan_of(5, 5, 10, 5, 5)
    caption = apply_plan_edits(old, PlanPatch(beats=[BeatEdit(index=1, caption="Cold for 24 hours")]), size=VERTICAL)
    assert redo_between(old, caption) == {1: "caption"}
    longer = apply_plan_edits(old, PlanPatch(beats=[BeatEdit(index=0, duration_s=10), BeatEdit(index=2, duration_s=5)]),
                              size=VERTICAL)
    assert redo_between(old, longer) == {0: "video", 2: "video"}
    cta = apply_plan_edits(old, PlanPatch(call_to_action="Shop the drop"), size=VERTICAL)
    assert redo_between(old, cta) == {4: "caption"}
    palette = apply_plan_edits(old, PlanPatch(palette=["#112233", "#445566"], beats=[BeatEdit(index=4, caption="x")]),
                               size=VERTICAL)
    assert redo_between(old, palette) == dict.fromkeys(range(5), "frame")
    assert redo_between(old, old) == {}
