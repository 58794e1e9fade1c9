"""The offline feedback interpreter on a table of phrasings: what each message should be understood as (kind,
the beats it touches, the exact edits and hints), including combinations, case and punctuation variants, and
messages it must not pretend to understand.

The plan is 30 s in four beats of 10, 5, 10 and 5 s; people count beats from 1, the intent from 0.
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import ValidationError

from admint.contracts.feedback import FeedbackIntent
from admint.planner.feedback import OFFLINE_INTERPRETER, OfflineFeedbackInterpreter, interpret
from admint.planner.feedback_lexicon import FeedbackLexicon, load_feedback_lexicon
from tests.unit.planner.plans import VERTICAL, plan_of

pytestmark = pytest.mark.unit
PLAN = plan_of(10, 5, 10, 5)
TIGHT = plan_of(5, 5, 10, 5, 5)

DRAMATIC = {
    "palette": ["darker"],
    "prompt_terms": ["dramatic lighting", "high contrast"],
    "camera_movement": "dolly_in",
    "energy_delta": 0.2,
}
ENERGETIC = {"prompt_terms": ["dynamic motion"], "energy_delta": 0.2}
CALMER = {"prompt_terms": ["soft natural light"], "energy_delta": -0.2}
SLOWER = {"energy_delta": -0.2}
TAKE = {"new_take": True}


def palette(*shifts: str) -> dict[str, Any]:
    return {"palette": list(shifts)}


def camera(move: str) -> dict[str, Any]:
    return {"camera_movement": move}


@dataclass
class Expect:
    kind: str
    edits: dict[int, dict[str, Any]] = field(default_factory=dict)
    regen: dict[int, dict[str, Any]] = field(default_factory=dict)
    style: dict[str, Any] = field(default_factory=dict)
    cta: str | None = None
    says: tuple[str, ...] = ()


def approve() -> Expect:
    return Expect("approve", says=("Approved",))


def unclear(*says: str) -> Expect:
    return Expect("unclear", says=(*says, "Try e.g."))


# (message, beat parameter, expected)
TABLE: list[tuple[str, int | None, Expect]] = [
    # approval, in its many spellings
    ("looks good", None, approve()),
    ("Looks good!", None, approve()),
    ("LGTM", None, approve()),
    ("ship it", None, approve()),
    ("Perfect.", None, approve()),
    ("approve", None, approve()),
    ("👍", None, approve()),
    ("perfect, ship it", None, approve()),
    ("Yes, go ahead", None, approve()),
    ("not bad", None, approve()),
    # drama and energy
    (
        "make the first scene more dramatic",
        None,
        Expect("regenerate", regen={0: DRAMATIC}, says=("Beat 1: more dramatic",)),
    ),
    ("Make the FIRST scene more dramatic!!!", None, Expect("regenerate", regen={0: DRAMATIC})),
    ("more dramatic", None, Expect("regenerate", style=DRAMATIC, says=("Every beat: more dramatic",))),
    ("more dramatic", 2, Expect("regenerate", regen={2: DRAMATIC}, says=("Beat 3: more dramatic",))),
    ("calmer please", None, Expect("regenerate", style=CALMER)),
    ("more energetic in scene two", None, Expect("regenerate", regen={1: ENERGETIC})),
    ("slower", None, Expect("regenerate", style=SLOWER)),
    ("it's too fast", None, Expect("regenerate", style=SLOWER)),
    (
        "make the opening more dramatic, warmer and zoom in",
        None,
        Expect("regenerate", regen={0: {**DRAMATIC, "palette": ["darker", "warmer"]}}),
    ),
    # colour
    (
        "warmer colours",
        None,
        Expect("regenerate", style=palette("warmer"), says=("Every beat: warmer colours",)),
    ),
    ("warmer colors", None, Expect("regenerate", style=palette("warmer"))),
    ("Warmer Colours.", None, Expect("regenerate", style=palette("warmer"))),
    ("cooler", None, Expect("regenerate", style=palette("cooler"))),
    ("brighter", None, Expect("regenerate", style=palette("brighter"))),
    ("too dark", None, Expect("regenerate", style=palette("brighter"))),
    ("darker please", None, Expect("regenerate", style=palette("darker"))),
    ("more vibrant colours overall", None, Expect("regenerate", style=palette("more_saturated"))),
    ("muted", None, Expect("regenerate", style=palette("less_saturated"))),
    ("warmer", 2, Expect("regenerate", regen={2: palette("warmer")})),
    ("warmer colours", 2, Expect("regenerate", regen={2: palette("warmer")})),
    ("everything warmer", 2, Expect("regenerate", style=palette("warmer"))),
    ("beats 2 and 3 cooler", None, Expect("regenerate", regen={1: palette("cooler"), 2: palette("cooler")})),
    (
        "scenes 1-3 brighter",
        None,
        Expect(
            "regenerate",
            regen={i: palette("brighter") for i in range(3)},
            says=("render Beat 1, Beat 2 and Beat 3",),
        ),
    ),
    ("make the penultimate shot darker", None, Expect("regenerate", regen={2: palette("darker")})),
    ("too bright in the first scene", None, Expect("regenerate", regen={0: palette("darker")})),
    # camera
    ("zoom in on the last shot", None, Expect("regenerate", regen={3: camera("dolly_in")})),
    ("pan left on scene two", None, Expect("regenerate", regen={1: camera("pan_left")})),
    ("static shot for the third beat", None, Expect("regenerate", regen={2: camera("static")})),
    ("tilt up in the second shot", None, Expect("regenerate", regen={1: camera("tilt_up")})),
    ("orbit the product in the hook", None, Expect("regenerate", regen={0: camera("orbit")})),
    ("pull back on beat 4", None, Expect("regenerate", regen={3: camera("dolly_out")})),
    ("no camera movement in beat 1", None, Expect("regenerate", regen={0: camera("static")})),
    # another take
    ("try again", None, Expect("regenerate", style=TAKE, says=("render every beat again",))),
    ("try again", 1, Expect("regenerate", regen={1: TAKE})),
    ("another take of beat 2", None, Expect("regenerate", regen={1: TAKE}, says=("Beat 2: a fresh take",))),
    ("new image for scene 1", None, Expect("regenerate", regen={0: TAKE})),
    ("I don't like beat 3", None, Expect("regenerate", regen={2: TAKE})),
    ("I don’t like beat 3", None, Expect("regenerate", regen={2: TAKE})),
    ("redo the 4th beat", None, Expect("regenerate", regen={3: TAKE})),
    ("the second to last scene needs a new take", None, Expect("regenerate", regen={2: TAKE})),
    ("regenerate everything", None, Expect("regenerate", style=TAKE)),
    # captions and the call to action
    (
        "caption of beat 3: Cold for 24 hours",
        None,
        Expect("edit", edits={2: {"caption": "Cold for 24 hours"}}),
    ),
    (
        'change the caption on the second beat to "Sharp all morning"',
        None,
        Expect(
            "edit", edits={1: {"caption": "Sharp all morning"}}, says=("Beat 2: caption “Sharp all morning”",)
        ),
    ),
    ("Beat 2 caption: Fresh all day.", None, Expect("edit", edits={1: {"caption": "Fresh all day"}})),
    ("caption: Fresh all day", 1, Expect("edit", edits={1: {"caption": "Fresh all day"}})),
    (
        "remove the caption on beat 2",
        None,
        Expect("edit", edits={1: {"caption": ""}}, says=("Beat 2: no caption",)),
    ),
    ("no caption on the last beat", None, Expect("edit", edits={3: {"caption": ""}})),
    (
        "set the hook caption to “Wake up sharp”",
        None,
        Expect("edit", edits={0: {"caption": "Wake up sharp"}}),
    ),
    (
        "caption of beat 1: The end of bland coffee",
        None,
        Expect("edit", edits={0: {"caption": "The end of bland coffee"}}),
    ),
    (
        'caption of beat 3: "Cold for 24 hours" and zoom in on it',
        None,
        Expect("regenerate", edits={2: {"caption": "Cold for 24 hours"}}, regen={2: camera("dolly_in")}),
    ),
    (
        'change the CTA to "Shop now"',
        None,
        Expect("edit", cta="Shop now", says=("Call to action: “Shop now”",)),
    ),
    ("call to action: Order today at brewly.com.", None, Expect("edit", cta="Order today at brewly.com")),
    ("make the cta more dramatic", None, Expect("regenerate", regen={3: DRAMATIC})),
    # durations move time between beats; the ad keeps its 30 s
    (
        "shorter hook",
        None,
        Expect(
            "edit", edits={0: {"duration_s": 5}, 1: {"duration_s": 10}}, says=("Beat 1: length 10 s → 5 s",)
        ),
    ),
    ("make beat 2 10 seconds", None, Expect("edit", edits={1: {"duration_s": 10}, 2: {"duration_s": 5}})),
    ("longer ending", None, Expect("edit", edits={3: {"duration_s": 10}, 2: {"duration_s": 5}})),
    (
        "shorten beat 3 by 5 seconds",
        None,
        Expect("edit", edits={2: {"duration_s": 5}, 3: {"duration_s": 10}}),
    ),
    (
        "make beat 2 15 seconds",
        None,
        Expect("edit", edits={0: {"duration_s": 5}, 1: {"duration_s": 15}, 2: {"duration_s": 5}}),
    ),
    ("the ending should last 10s", None, Expect("edit", edits={3: {"duration_s": 10}, 2: {"duration_s": 5}})),
    ("longer hook", None, Expect("edit", edits={0: {"duration_s": 15}, 2: {"duration_s": 5}})),
    ("shorter", 0, Expect("edit", edits={0: {"duration_s": 5}, 1: {"duration_s": 10}})),
    # combinations
    (
        "warmer colours and shorter hook",
        None,
        Expect("regenerate", edits={0: {"duration_s": 5}, 1: {"duration_s": 10}}, style=palette("warmer")),
    ),
    (
        "make the hook shorter and warmer",
        None,
        Expect(
            "regenerate", edits={0: {"duration_s": 5}, 1: {"duration_s": 10}}, regen={0: palette("warmer")}
        ),
    ),
    (
        "looks good but make the ending longer",
        None,
        Expect("edit", edits={3: {"duration_s": 10}, 2: {"duration_s": 5}}),
    ),
    (
        "Warmer colours, and a shorter hook; also another take of beat 3",
        None,
        Expect(
            "regenerate",
            edits={0: {"duration_s": 5}, 1: {"duration_s": 10}},
            regen={2: TAKE},
            style=palette("warmer"),
        ),
    ),
    (
        'caption of beat 2: "Fresh all day" and change the CTA to "Shop now"',
        None,
        Expect("edit", edits={1: {"caption": "Fresh all day"}}, cta="Shop now"),
    ),
    (
        "great caption, but warmer please",
        None,
        Expect("regenerate", style=palette("warmer"), says=("“caption”",)),
    ),
    # what it must not pretend to understand, and what it cannot do (with the reason)
    ('add "film grain" to beat 2', None, unclear("I didn't understand")),
    ("asdf qwerty", None, unclear("I didn't understand “asdf qwerty”")),
    ("?", None, unclear("I didn't understand")),
    ("don't make it warmer", None, unclear("tell me what to do rather than what not to do")),
    ("make beat 7 warmer", None, unclear("There is no beat 7: the plan has 4")),
    ("warmer", 9, unclear("There is no beat 10")),
    ("make it shorter", None, unclear("The ad's length stays 30 s")),
    ("make the ad 15 seconds", None, unclear("The ad's length stays 30 s")),
    ("make beat 2 7 seconds", None, unclear("Beat 2 cannot last 7 s: beats last 5, 10 or 15 seconds")),
    ("make the hook 20 seconds", None, unclear("Beat 1 cannot last 20 s")),
    (
        "looks good but swap beats 2 and 3",
        None,
        unclear("I didn't understand “looks good but swap beats 2 and 3”"),
    ),
    ("hmm, what about the music?", None, unclear("I didn't understand")),
    ("caption: Fresh all day", None, unclear("Which beat's caption?")),
    (
        "caption of beat 2: This caption is definitely far too long to read at a glance",
        None,
        unclear("Beat 2's caption has 59 characters; captions hold at most 48"),
    ),
    (
        'caption of beat 2: "This caption is definitely far too long to read at a glance" and warmer colours',
        None,
        Expect("regenerate", style=palette("warmer"), says=("Beat 2's caption has 59 characters",)),
    ),
    (
        "warmer colours like a sunset",
        None,
        Expect("regenerate", style=palette("warmer"), says=("I didn't understand “sunset”",)),
    ),
]


def _check(intent: FeedbackIntent, expect: Expect) -> None:
    assert intent.kind == expect.kind, intent.understood
    assert {e.index: e.changes() for e in intent.edits} == expect.edits
    assert {r.index: r.hints.model_dump(exclude_defaults=True) for r in intent.regenerate} == expect.regen
    assert intent.style.model_dump(exclude_defaults=True) == expect.style
    assert intent.call_to_action == expect.cta
    for text in expect.says:
        assert text in intent.understood, intent.understood
    assert intent.interpreter == OFFLINE_INTERPRETER


@pytest.mark.parametrize(("message", "beat", "expect"), TABLE, ids=[f"{m!r}@{b}" for m, b, _ in TABLE])
def test_phrasing(message: str, beat: int | None, expect: Expect) -> None:
    intent = interpret(PLAN, message, beat, size=VERTICAL)
    _check(intent, expect)
    FeedbackIntent.model_validate(intent.model_dump())  # what it produces is a valid contract


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 50
    assert {e.kind for _, _, e in TABLE} == {"approve", "edit", "regenerate", "unclear"}


def test_a_beat_already_at_the_shortest_length_is_explained() -> None:
    intent = interpret(TIGHT, "shorter hook")
    assert (
        intent.kind == "unclear" and "Beat 1 is already 5 s, the shortest a beat can be" in intent.understood
    )
    longer = interpret(plan_of(15, 15), "make the first beat longer")
    assert longer.kind == "unclear" and "already 15 s, the longest" in longer.understood


def test_time_comes_from_farther_beats_when_the_neighbours_have_none() -> None:
    intent = interpret(TIGHT, "longer hook")  # beat 2 is 5 s already; beat 3 has 10
    assert {e.index: e.duration_s for e in intent.edits} == {0: 10, 2: 5}
    assert "Beat 3 10 s → 5 s, so the ad stays 30 s" in intent.understood


def test_confidence_drops_with_what_was_not_understood() -> None:
    sure = interpret(PLAN, "warmer colours")
    partial = interpret(PLAN, "warmer colours like a sunset")
    nothing = interpret(PLAN, "asdf")
    assert sure.confidence > partial.confidence > nothing.confidence == 0.0


def test_understood_describes_a_combination_in_order_every_beat_first() -> None:
    intent = interpret(PLAN, "make the first scene more dramatic and warmer colours")
    assert intent.understood.startswith("Every beat: warmer colours; Beat 1: more dramatic (higher energy")
    assert intent.understood.endswith("I'll render every beat again.")


def test_without_a_size_edits_are_not_checked_against_the_layout() -> None:
    long = "caption of beat 2: This caption is definitely far too long to read at a glance"
    assert (
        interpret(PLAN, long).edits[0].caption
        == "This caption is definitely far too long to read at a glance"
    )


async def test_the_offline_interpreter_speaks_the_port() -> None:
    intent = await OfflineFeedbackInterpreter().interpret_feedback(PLAN, "shorter hook", None, size=VERTICAL)
    assert intent == interpret(PLAN, "shorter hook", size=VERTICAL)


def test_the_lexicon_refuses_a_phrase_with_two_meanings() -> None:
    raw = load_feedback_lexicon().model_dump()
    raw["shorter"] = [*raw["shorter"], "warmer"]
    with pytest.raises(ValidationError, match="two meanings"):
        FeedbackLexicon.model_validate(raw)
