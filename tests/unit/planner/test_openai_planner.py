"""The OpenAI planner at the HTTP boundary (httpx.MockTransport + recorded responses): request shape, parsing,
retry policy, fail-fast, correction round, refusal, and the offline fallback."""

import json
from pathlib import Path

import httpx
import pytest

from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationSpec
from admint.planner.errors import BriefRejected
from admint.planner.fallback import FallbackPlanner
from admint.planner.offline import OfflinePlanner
from admint.planner.openai_planner import (
    OpenAIInvalidOutput,
    OpenAIPlanner,
    OpenAIRejected,
    OpenAIUnavailable,
)

pytestmark = pytest.mark.unit
DATA = Path(__file__).with_name("data")
BRIEF = (
    "Promote Brewly cold brew for tired commuters. Tired of bland office coffee? Brewly keeps you sharp all "
    "morning. Order now at brewly.com"
)


def recorded(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def spec(**extra: object) -> GenerationSpec:
    return GenerationSpec(brief=BRIEF, duration_s=30, size=FrameSize(width=180, height=320), seed=11, **extra)


class Script:
    """A MockTransport handler answering from a list of responses/exceptions, recording every request."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


def ok(payload: dict | None = None) -> httpx.Response:
    return httpx.Response(200, json=payload or recorded("openai_chat_completion.json"))


def planner(script: Script, sleeps: list[float] | None = None, **kwargs: object) -> OpenAIPlanner:
    async def sleep(seconds: float) -> None:
        (sleeps if sleeps is not None else []).append(seconds)

    return OpenAIPlanner(
        api_key="sk-test",
        base_url="https://api.openai.test/v1",
        client=httpx.AsyncClient(transport=httpx.MockTransport(script)),
        sleep=sleep,
        **kwargs,
    )  # type: ignore[arg-type]


async def test_request_shape_is_a_strict_structured_output_chat_completion() -> None:
    script = Script(ok())
    await planner(script).plan(spec(creativity=0.5, framework="PAS"))
    (request,) = script.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.openai.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o-mini" and body["seed"] == 11 and body["temperature"] == 0.75
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and set(schema["required"]) == set(schema["properties"])
    beat = schema["$defs"]["DraftBeat"]
    assert beat["additionalProperties"] is False and len(beat["properties"]["beat_id"]["enum"]) == 15
    assert beat["properties"]["duration_s"]["enum"] == [5, 10, 15]
    assert "luxury_showcase" in schema["properties"]["archetype"]["enum"]
    assert "minLength" not in json.dumps(schema) and "default" not in json.dumps(schema)
    system, user = body["messages"]
    assert system["role"] == "system" and "macro_hook" in system["content"] and "PAS" in system["content"]
    assert user["role"] == "user" and BRIEF in user["content"] and "30 seconds" in user["content"]
    assert "Copy framework: PAS" in user["content"]


async def test_the_recorded_answer_parses_straight_into_the_plan_contract() -> None:
    plan = await planner(Script(ok())).plan(spec())
    assert plan.planner_model == "gpt-4o-mini" and plan.fallback_reason is None
    assert [b.duration_s for b in plan.beats] == [5, 5, 10, 5, 5]
    assert [b.start_s for b in plan.beats] == [0, 5, 10, 20, 25]
    assert [b.index for b in plan.beats] == [0, 1, 2, 3, 4]
    assert plan.archetype == "problem_solution" and plan.framework == "PAS"
    assert plan.call_to_action == "Order now at brewly.com" and plan.product == "Brewly cold brew"
    assert plan.beats[0].caption == "Tired of bland office coffee?"
    assert plan.style.palette[0] == "#1b1b2f" and plan.music.tempo_bpm == 118


async def test_the_clients_framework_wins_over_the_models_choice() -> None:
    plan = await planner(Script(ok())).plan(spec(framework="AIDA"))
    assert plan.framework == "AIDA"


async def test_timeouts_429_and_5xx_are_retried_with_backoff_honouring_retry_after() -> None:
    sleeps: list[float] = []
    script = Script(
        httpx.ReadTimeout("read timed out"),
        httpx.Response(503, json={"error": {"message": "The server is overloaded"}}),
        httpx.Response(429, json=recorded("openai_429.json"), headers={"retry-after": "7"}),
        ok(),
    )
    plan = await planner(script, sleeps).plan(spec())
    assert len(script.requests) == 4 and plan.planner_model == "gpt-4o-mini"
    assert len(sleeps) == 3
    assert 1.0 <= sleeps[0] <= 1.25 and 2.0 <= sleeps[1] <= 2.5  # exponential with jitter
    assert sleeps[2] == 7.0  # Retry-After beats the 4 s step


async def test_a_hung_server_is_cut_at_the_attempt_timeout() -> None:
    import asyncio

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")

    client = httpx.AsyncClient(transport=httpx.MockTransport(hang))

    async def no_sleep(_: float) -> None:
        return None

    slow = OpenAIPlanner(api_key="k", client=client, timeout_s=0.05, max_retries=1, sleep=no_sleep)
    with pytest.raises(OpenAIUnavailable, match=r"timed out after 0\.05s"):
        await slow.plan(spec())


async def test_exhausted_retries_raise_unavailable_after_four_attempts() -> None:
    script = Script(httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(OpenAIUnavailable, match="after 4 attempts: HTTP 502"):
        await planner(script).plan(spec())
    assert len(script.requests) == 4


async def test_other_4xx_fail_fast_without_retrying() -> None:
    script = Script(httpx.Response(401, json=recorded("openai_401.json")))
    with pytest.raises(OpenAIRejected) as info:
        await planner(script).plan(spec())
    assert len(script.requests) == 1
    assert "HTTP 401" in info.value.reason and "Incorrect API key" in (info.value.detail or "")


async def test_a_plan_that_does_not_add_up_is_sent_back_once_with_the_error() -> None:
    wrong = recorded("openai_chat_completion.json")
    content = json.loads(wrong["choices"][0]["message"]["content"])
    content["beats"][2]["duration_s"] = 15  # 35 s instead of 30
    wrong["choices"][0]["message"]["content"] = json.dumps(content)
    script = Script(ok(wrong), ok())
    plan = await planner(script).plan(spec())
    assert sum(b.duration_s for b in plan.beats) == 30
    second = script.bodies()[1]["messages"]
    assert second[-2]["role"] == "assistant" and second[-1]["role"] == "user"
    assert "add up to 35 seconds, not 30" in second[-1]["content"]

    script = Script(ok(wrong))
    with pytest.raises(OpenAIInvalidOutput):
        await planner(script).plan(spec())
    assert len(script.requests) == 2


async def test_a_refusal_rejects_the_brief() -> None:
    with pytest.raises(BriefRejected, match="refused this brief"):
        await planner(Script(ok(recorded("openai_refusal.json")))).plan(spec())


async def test_an_empty_brief_is_rejected_before_paying_for_a_call() -> None:
    script = Script(ok())
    with pytest.raises(BriefRejected):
        await planner(script).plan(GenerationSpec(brief="...", size=FrameSize(width=180, height=320)))
    assert script.requests == []


async def test_the_fallback_plans_offline_and_records_why_when_openai_is_unavailable() -> None:
    script = Script(httpx.Response(503, json={"error": {"message": "The server is overloaded"}}))
    wrapper = FallbackPlanner(planner(script), OfflinePlanner())
    plan = await wrapper.plan(spec())
    assert plan.planner_model == "offline-planner"
    assert (
        plan.fallback_reason and "HTTP 503" in plan.fallback_reason and "gpt-4o-mini" in plan.fallback_reason
    )
    assert sum(b.duration_s for b in plan.beats) == 30
    assert plan.model_copy(update={"fallback_reason": None}) == OfflinePlanner().plan_sync(spec())

    rejected = FallbackPlanner(
        planner(Script(httpx.Response(401, json=recorded("openai_401.json")))), OfflinePlanner()
    )
    assert "HTTP 401" in ((await rejected.plan(spec())).fallback_reason or "")


async def test_the_fallback_does_not_work_around_a_rejected_brief() -> None:
    wrapper = FallbackPlanner(planner(Script(ok(recorded("openai_refusal.json")))), OfflinePlanner())
    with pytest.raises(BriefRejected):
        await wrapper.plan(spec())


async def test_with_a_working_openai_the_fallback_is_transparent() -> None:
    plan = await FallbackPlanner(planner(Script(ok())), OfflinePlanner()).plan(spec())
    assert plan.planner_model == "gpt-4o-mini" and plan.fallback_reason is None
