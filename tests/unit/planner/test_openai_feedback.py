"""The OpenAI feedback interpreter at the HTTP boundary (httpx.MockTransport + a recorded response): the strict
schema it asks for, parsing into the FeedbackIntent contract, the correction round when an answer does not fit
the plan, refusals, and the offline fallback."""

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from admint.planner.fallback import FallbackFeedbackInterpreter
from admint.planner.feedback import OfflineFeedbackInterpreter, interpret
from admint.planner.llm_feedback import feedback_schema
from admint.planner.openai_planner import OpenAIInvalidOutput, OpenAIPlanner
from tests.unit.planner.plans import VERTICAL, plan_of
from tests.unit.planner.test_openai_planner import Script, ok, recorded

pytestmark = pytest.mark.unit
DATA = Path(__file__).with_name("data")
PLAN = plan_of(10, 5, 10, 5)
MESSAGE = "make the first scene more dramatic and a shorter hook"


def answer(**changes: Any) -> httpx.Response:
    """The recorded completion, with fields of its intent replaced."""
    payload = recorded("openai_feedback_completion.json")
    content = json.loads(payload["choices"][0]["message"]["content"])
    payload["choices"][0]["message"]["content"] = json.dumps({**content, **changes})
    return ok(payload)


def interpreter(script: Script) -> OpenAIPlanner:
    async def no_sleep(_: float) -> None:
        return None

    return OpenAIPlanner(
        api_key="sk-test",
        base_url="https://api.openai.test/v1",
        client=httpx.AsyncClient(transport=httpx.MockTransport(script)),
        sleep=no_sleep,
    )


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in _walk(v))]
    if isinstance(node, list):
        return [n for v in node for n in _walk(v)]
    return []


def test_the_schema_is_strict_mode_compatible_and_leaves_our_bookkeeping_out() -> None:
    schema = feedback_schema()
    assert "interpreter" not in schema["properties"] and "fallback_reason" not in schema["properties"]
    for node in _walk(schema):
        if node.get("type") == "object" and "properties" in node:
            assert node["additionalProperties"] is False and set(node["required"]) == set(node["properties"])
        assert "$ref" not in node or len(node) == 1, f"keywords beside a $ref: {node}"
        assert not {"default", "title", "minimum", "maxLength", "minLength", "maxItems"} & node.keys()
    assert schema["properties"]["kind"]["enum"] == ["approve", "edit", "regenerate", "unclear"]
    edit = schema["$defs"]["BeatEdit"]["properties"]
    assert edit["duration_s"]["anyOf"][0]["enum"] == [5, 10, 15]


def test_the_recorded_answer_conforms_to_the_schema_we_send() -> None:
    content = json.loads(recorded("openai_feedback_completion.json")["choices"][0]["message"]["content"])
    jsonschema.validate(content, feedback_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**content, "interpreter": "me"}, feedback_schema())


async def test_request_shape_carries_the_plan_the_scope_and_the_message() -> None:
    script = Script(answer())
    await interpreter(script).interpret_feedback(PLAN, MESSAGE, 2, size=VERTICAL)
    (request,) = script.requests
    assert str(request.url) == "https://api.openai.test/v1/chat/completions"
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.2
    fmt = body["response_format"]["json_schema"]
    assert fmt["strict"] is True and fmt["name"] == "feedback_intent" and fmt["schema"] == feedback_schema()
    system, user = body["messages"]
    assert "5, 10 or 15 seconds" in system["content"] and "at most 48 characters" in system["content"]
    assert "Beat 1 (index 0): 10 s" in user["content"] and '"Caption 3"' in user["content"]
    assert "Scope: Beat 3 (index 2)" in user["content"] and MESSAGE in user["content"]
    assert "The plan (30 seconds, fixed)" in user["content"] and PLAN.call_to_action in user["content"]


async def test_the_recorded_answer_parses_into_the_intent_contract() -> None:
    intent = await interpreter(Script(answer())).interpret_feedback(PLAN, MESSAGE, size=VERTICAL)
    assert (
        intent.kind == "regenerate" and intent.interpreter == "gpt-4o-mini" and intent.fallback_reason is None
    )
    assert {e.index: e.changes() for e in intent.edits} == {0: {"duration_s": 5}, 1: {"duration_s": 10}}
    (beat,) = intent.regenerate
    assert beat.index == 0 and beat.hints.camera_movement == "dolly_in" and beat.hints.palette == ["darker"]
    assert intent.style.is_empty() and intent.confidence == 0.86
    assert intent.understood.startswith("Beat 1: more dramatic")


@pytest.mark.parametrize(
    ("wrong", "complaint"),
    [
        (
            {
                "edits": [
                    {
                        "index": 0,
                        "caption": None,
                        "duration_s": 5,
                        "camera_movement": None,
                        "action": None,
                        "prompt": None,
                        "energy": None,
                    }
                ]
            },
            "add up to 25 seconds, not 30",
        ),
        (
            {
                "regenerate": [
                    {
                        "index": 7,
                        "hints": {
                            "palette": [],
                            "prompt_terms": [],
                            "camera_movement": None,
                            "energy_delta": 0.0,
                            "new_take": True,
                        },
                    }
                ]
            },
            "there is no index [7]",
        ),
        ({"kind": "approve"}, "carries no changes"),
        ({"edits": [], "regenerate": [], "kind": "edit"}, "carries plan edits"),
        ("not json", "not valid JSON"),
    ],
)
async def test_an_answer_that_does_not_fit_the_plan_is_sent_back_once(wrong: Any, complaint: str) -> None:
    first = answer(**wrong) if isinstance(wrong, dict) else _raw(wrong)
    script = Script(first, answer())
    intent = await interpreter(script).interpret_feedback(PLAN, MESSAGE, size=VERTICAL)
    assert intent.kind == "regenerate"
    second = script.bodies()[1]["messages"]
    assert second[-2]["role"] == "assistant" and second[-1]["role"] == "user"
    assert complaint in second[-1]["content"]

    script = Script(first)
    with pytest.raises(OpenAIInvalidOutput):
        await interpreter(script).interpret_feedback(PLAN, MESSAGE, size=VERTICAL)
    assert len(script.requests) == 2


async def test_with_the_frame_size_a_caption_must_fit_like_any_edit() -> None:
    long = "This caption is definitely far too long to read at a glance"
    edit = {
        "index": 2,
        "caption": long,
        "duration_s": None,
        "camera_movement": None,
        "action": None,
        "prompt": None,
        "energy": None,
    }
    wrong = answer(kind="edit", edits=[edit], regenerate=[])
    script = Script(wrong, answer())
    await interpreter(script).interpret_feedback(PLAN, MESSAGE, size=VERTICAL)
    assert "captions hold at most 48" in script.bodies()[1]["messages"][-1]["content"]
    unchecked = await interpreter(Script(wrong)).interpret_feedback(PLAN, MESSAGE)  # no size: layout unknown
    assert unchecked.edits[0].caption == long


async def test_a_refusal_is_an_unclear_intent_not_a_fallback() -> None:
    script = Script(ok(recorded("openai_refusal.json")))
    wrapper = FallbackFeedbackInterpreter(interpreter(script), OfflineFeedbackInterpreter())
    intent = await wrapper.interpret_feedback(PLAN, "warmer colours")
    assert intent.kind == "unclear" and intent.interpreter == "gpt-4o-mini" and intent.fallback_reason is None
    assert intent.understood == "I can't act on that feedback: I'm sorry, but I can't help with that request."
    assert len(script.requests) == 1


async def test_the_offline_rules_stand_in_and_say_why_when_openai_is_unavailable() -> None:
    script = Script(httpx.Response(503, json={"error": {"message": "The server is overloaded"}}))
    wrapper = FallbackFeedbackInterpreter(interpreter(script), OfflineFeedbackInterpreter())
    intent = await wrapper.interpret_feedback(PLAN, MESSAGE, size=VERTICAL)
    assert intent.interpreter == "offline-rules" and len(script.requests) == 4
    assert (
        intent.fallback_reason
        and "gpt-4o-mini" in intent.fallback_reason
        and "HTTP 503" in intent.fallback_reason
    )
    assert intent.model_copy(update={"fallback_reason": None}) == interpret(PLAN, MESSAGE, size=VERTICAL)

    rejected = FallbackFeedbackInterpreter(
        interpreter(Script(httpx.Response(401, json=recorded("openai_401.json")))),
        OfflineFeedbackInterpreter(),
    )
    assert "HTTP 401" in ((await rejected.interpret_feedback(PLAN, MESSAGE)).fallback_reason or "")
    unusable = FallbackFeedbackInterpreter(
        interpreter(Script(_raw("not json"))), OfflineFeedbackInterpreter()
    )
    assert "unusable intent" in ((await unusable.interpret_feedback(PLAN, MESSAGE)).fallback_reason or "")


async def test_with_a_working_openai_the_fallback_is_transparent() -> None:
    intent = await FallbackFeedbackInterpreter(
        interpreter(Script(answer())), OfflineFeedbackInterpreter()
    ).interpret_feedback(PLAN, MESSAGE)
    assert intent.interpreter == "gpt-4o-mini" and intent.fallback_reason is None


def _raw(content: str) -> httpx.Response:
    payload = recorded("openai_feedback_completion.json")
    payload["choices"][0]["message"]["content"] = content
    return ok(payload)
