"""Steering contracts: described, frozen, strict about unknown fields, and an intent's kind matches its content."""

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from admint.contracts.feedback import (
    BeatEdit,
    BeatRegeneration,
    FeedbackIntent,
    PlanEditProblem,
    PlanPatch,
    RenderHints,
)

pytestmark = pytest.mark.unit
MODELS: list[type[BaseModel]] = [
    BeatEdit,
    PlanPatch,
    PlanEditProblem,
    RenderHints,
    BeatRegeneration,
    FeedbackIntent,
]


def intent(**fields: Any) -> FeedbackIntent:
    return FeedbackIntent.model_validate(
        {"understood": "ok", "interpreter": "offline-rules", "confidence": 0.9, **fields}
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_described(model: type[BaseModel]) -> None:
    undocumented = [name for name, info in model.model_fields.items() if not info.description]
    assert undocumented == []


def test_models_are_frozen() -> None:
    edit = BeatEdit(index=1, caption="Hi")
    with pytest.raises(ValidationError):
        edit.caption = "changed"  # type: ignore[misc]


def test_a_patch_refuses_fields_it_does_not_know_with_their_location() -> None:
    with pytest.raises(ValidationError) as info:
        PlanPatch.model_validate({"beats": [{"index": 2, "caption": "x"}, {"index": 0, "start_s": 5}]})
    (error,) = info.value.errors()
    assert error["loc"] == ("beats", 1, "start_s") and error["type"] == "extra_forbidden"


def test_durations_outside_the_allowed_set_are_refused_by_the_type() -> None:
    with pytest.raises(ValidationError) as info:
        PlanPatch.model_validate({"beats": [{"index": 0, "duration_s": 7}]})
    assert info.value.errors()[0]["loc"][:3] == ("beats", 0, "duration_s")
    assert PlanPatch.model_validate({"beats": [{"index": 0, "duration_s": 15}]}).beats[0].duration_s == 15


def test_a_beat_edit_reports_only_the_fields_it_changes() -> None:
    edit = BeatEdit(index=3, caption="", energy=0.0)
    assert edit.changes() == {"caption": "", "energy": 0.0}  # empty caption and zero energy are changes
    assert BeatEdit(index=3).changes() == {}


def test_render_hints_know_when_they_change_nothing() -> None:
    assert RenderHints().is_empty()
    assert not RenderHints(new_take=True).is_empty()
    assert not RenderHints(palette=["warmer"]).is_empty()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "approve", "edits": [{"index": 0, "caption": "x"}]}, "carries no changes"),
        ({"kind": "unclear", "style": {"palette": ["warmer"]}}, "carries no changes"),
        ({"kind": "edit"}, "carries plan edits"),
        (
            {"kind": "edit", "edits": [{"index": 0, "caption": "x"}], "style": {"new_take": True}},
            "no renders",
        ),
        ({"kind": "regenerate", "edits": [{"index": 0, "caption": "x"}]}, "render again"),
        (
            {"kind": "edit", "edits": [{"index": 1, "caption": "a"}, {"index": 1, "energy": 1}]},
            "more than once",
        ),
        (
            {"kind": "regenerate", "regenerate": [{"index": 0, "hints": {}}, {"index": 0, "hints": {}}]},
            "more than once",
        ),
    ],
)
def test_an_intents_kind_must_match_its_content(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        intent(**fields)


def test_coherent_intents_parse_and_their_edits_become_a_patch() -> None:
    assert intent(kind="approve").patch() == PlanPatch()
    edit = intent(
        kind="edit", edits=[{"index": 2, "caption": "Cold for 24 hours"}], call_to_action="Shop now"
    )
    assert edit.patch() == PlanPatch(
        beats=[BeatEdit(index=2, caption="Cold for 24 hours")], call_to_action="Shop now"
    )
    both = intent(
        kind="regenerate",
        edits=[{"index": 0, "duration_s": 5}, {"index": 1, "duration_s": 15}],
        regenerate=[{"index": 0, "hints": {"energy_delta": 0.2, "camera_movement": "dolly_in"}}],
    )
    assert both.regenerate[0].hints.camera_movement == "dolly_in"
    assert intent(kind="regenerate", style={"palette": ["warmer"]}).style.palette == ["warmer"]


def test_confidence_is_bounded() -> None:
    with pytest.raises(ValidationError):
        intent(kind="approve", confidence=1.5)
