"""The OpenAI planner: Chat Completions with a strict JSON schema, parsed straight into the Plan contract.

Transport policy: each attempt has a hard timeout (30 s by default); timeouts, network errors, 408, 429 and
5xx are retried with exponential backoff (honouring Retry-After); other 4xx fail fast. A plan that parses but
breaks a rule (e.g. durations that do not add up) is sent back once with the error so the model can fix it.

The same client interprets steering feedback (`interpret_feedback`): one transport policy, one correction round,
and a refusal answered as an `unclear` intent rather than worked around.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import ValidationError

from admint.contracts.common import FrameSize
from admint.contracts.feedback import FeedbackIntent
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.planner.brief import UnplannableBrief, check_plannable
from admint.planner.errors import BriefRejected
from admint.planner.library import Library, load_library
from admint.planner.llm_feedback import (
    InvalidFeedbackOutput,
    feedback_messages,
    feedback_schema,
    load_feedback_prompts,
    to_intent,
)
from admint.planner.llm_plan import DraftPlan, InvalidPlanOutput, strict_schema, to_plan
from admint.planner.tiling import beat_bounds

log = logging.getLogger(__name__)
PROMPTS_FILE = Path(__file__).with_name("data") / "prompts.yaml"
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_NO_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")


class OpenAIUnavailable(TransientProviderError):
    """Timeouts, network errors, 429 or 5xx that outlasted every retry."""


class OpenAIRejected(PermanentProviderError):
    """A 4xx other than 408/409/429: our request or credentials are wrong; retrying cannot help."""


class OpenAIInvalidOutput(PermanentProviderError):
    """The model's answer could not be turned into a valid plan, even after one correction round."""


@cache
def load_prompts() -> dict[str, str]:
    raw = yaml.safe_load(PROMPTS_FILE.read_text(encoding="utf-8"))
    if raw.get("version") != 1:
        raise ValueError(f"{PROMPTS_FILE.name}: unsupported version {raw.get('version')!r}")
    return {key: raw[key] for key in ("system", "user", "repair")}


def build_messages(spec: GenerationSpec, library: Library) -> list[dict[str, str]]:
    prompts = load_prompts()
    low, high = beat_bounds(spec.duration_s)
    system = prompts["system"].format(
        beats="\n".join(
            f"- {b.id}: {b.shot_type}; moves {', '.join(b.camera_movements)}; {', '.join(b.positions)}; "
            f"roles {', '.join(b.roles)}; energy {b.energy} — {b.action}"
            for b in library.beats.values()
        ),
        archetypes="\n".join(
            f"- {a.id}: {a.narrative} Sequence: {', '.join(a.sequence)}. Framework {a.framework}."
            for a in library.archetypes.values()
        ),
        frameworks="\n".join(
            f"- {name}: {', '.join(r.role for r in fw.roles)}" for name, fw in library.frameworks.items()
        ),
    )
    user = prompts["user"].format(
        brief=spec.brief,
        duration_s=spec.duration_s,
        units=spec.duration_s // 5,
        aspect=spec.aspect,
        framework=spec.framework or "choose the best fit (AIDA, PAS or FAB)",
        creativity=spec.creativity,
        min_beats=low,
        max_beats=min(high, 10),
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class OpenAIPlanner:
    """PlannerModel backed by OpenAI Chat Completions structured outputs."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str = "gpt-4o-mini",
        base_url: str = "https://api.openai.com/v1",
        timeout_s: float = 30.0,
        max_retries: int = 3,
        backoff_s: float = 1.0,
        client: httpx.AsyncClient | None = None,
        library: Library | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = model
        self.model = model
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.library = library or load_library()
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
        )
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "User-Agent": "admint-planner",
        }
        self._sleep = sleep
        self._schema = strict_schema(self.library)

    async def aclose(self) -> None:
        await self._client.aclose()

    def request_body(self, spec: GenerationSpec, messages: list[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "ad_plan", "strict": True, "schema": self._schema},
            },
            "seed": spec.seed,
            "max_completion_tokens": 4096,
        }
        if not self.model.startswith(_NO_TEMPERATURE):
            body["temperature"] = round(0.3 + 0.9 * spec.creativity, 2)
        return body

    async def plan(self, spec: GenerationSpec) -> Plan:
        try:
            check_plannable(spec.brief)  # no point paying for a brief with nothing in it
        except UnplannableBrief as exc:
            raise BriefRejected(str(exc)) from exc
        messages = build_messages(spec, self.library)
        error: InvalidPlanOutput | None = None
        for _ in range(2):
            content = await self._complete(self.request_body(spec, messages))
            try:
                draft = DraftPlan.model_validate_json(content)
                return to_plan(draft, spec, self.model, self.library)
            except (ValidationError, InvalidPlanOutput) as exc:
                error = exc if isinstance(exc, InvalidPlanOutput) else InvalidPlanOutput(_short(exc))
                log.warning("openai plan invalid, asking for a correction: %s", error)
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": load_prompts()["repair"].format(error=error, duration_s=spec.duration_s),
                    },
                ]
        raise OpenAIInvalidOutput("The planner model returned an invalid plan.", detail=str(error))

    async def interpret_feedback(
        self, plan: Plan, message: str, beat: int | None = None, *, size: FrameSize | None = None
    ) -> FeedbackIntent:
        """What the feedback asks of the plan (FeedbackInterpreter port); one correction round if the answer
        does not fit the plan, OpenAIInvalidOutput after that."""
        messages = feedback_messages(plan, message, beat)
        error: InvalidFeedbackOutput | None = None
        for _ in range(2):
            body = self.feedback_body(messages)
            try:
                content = await self._complete(body)
            except BriefRejected as exc:  # a refusal is an answer: say so, do not work around it offline
                return _declined(self.model, exc.reason)
            try:
                return to_intent(content, plan, self.model, size)
            except InvalidFeedbackOutput as exc:
                error = exc
                log.warning("openai feedback intent invalid, asking for a correction: %s", exc)
                repair = load_feedback_prompts()["repair"].format(error=exc)
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    {"role": "user", "content": repair},
                ]
        raise OpenAIInvalidOutput("The feedback model returned an unusable intent.", detail=str(error))

    def feedback_body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "feedback_intent", "strict": True, "schema": feedback_schema()},
            },
            "max_completion_tokens": 1500,
        }
        if not self.model.startswith(_NO_TEMPERATURE):
            body["temperature"] = 0.2  # interpretation, not invention
        return body

    async def _complete(self, body: dict[str, Any]) -> str:
        """One structured completion, with the retry policy; returns the message content (JSON text)."""
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            delay = self.backoff_s * 2**attempt * (1 + 0.25 * random.random())
            try:
                async with asyncio.timeout(self.timeout_s):
                    response = await self._client.post(self.url, json=body, headers=self._headers)
            except (TimeoutError, httpx.TimeoutException):
                last = f"timed out after {self.timeout_s:g}s"
            except httpx.TransportError as exc:
                last = f"network error: {type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return _content(response)
                message = _error_message(response)
                if response.status_code not in RETRYABLE_STATUS:
                    raise OpenAIRejected(
                        f"OpenAI rejected the planning request (HTTP {response.status_code}).", detail=message
                    )
                last = f"HTTP {response.status_code}: {message}"
                delay = max(delay, _retry_after(response))
            if attempt < self.max_retries:
                log.info("openai attempt %d failed (%s); retrying in %.1fs", attempt + 1, last, delay)
                await self._sleep(min(delay, 30.0))
        raise OpenAIUnavailable(f"OpenAI unavailable after {self.max_retries + 1} attempts: {last}")


def _declined(model: str, reason: str) -> FeedbackIntent:
    """An `unclear` intent carrying the model's refusal (or its content filter's) in the user's terms."""
    why = reason.split(": ", 1)[1] if ": " in reason else "the model's content filter blocked it."
    return FeedbackIntent(
        kind="unclear",
        understood=f"I can't act on that feedback: {why}"[:600],
        interpreter=model,
        confidence=1.0,
    )


def _content(response: httpx.Response) -> str:
    try:
        data = response.json()
        choice = data["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise OpenAIInvalidOutput(
            "The planner model's answer could not be read.", detail=response.text[:500]
        ) from exc
    if message.get("refusal"):
        raise BriefRejected(f"The planner model refused this brief: {message['refusal']}")
    if choice.get("finish_reason") == "content_filter":
        raise BriefRejected("The planner model's content filter blocked this brief.")
    content = message.get("content")
    if not content:
        raise OpenAIInvalidOutput(
            "The planner model returned an empty answer.",
            detail=f"finish_reason={choice.get('finish_reason')}",
        )
    if choice.get("finish_reason") == "length":
        raise OpenAIInvalidOutput("The planner model's answer was cut off.", detail=content[-200:])
    return content


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return str(error.get("message") or error.get("code") or response.text[:200])
    except (ValueError, AttributeError):
        return response.text[:200]


def _retry_after(response: httpx.Response) -> float:
    for header in ("retry-after-ms", "retry-after"):
        value = response.headers.get(header)
        if value:
            try:
                seconds = float(value) / (1000 if header.endswith("ms") else 1)
                return min(max(seconds, 0.0), 30.0)
            except ValueError:
                return 0.0
    return 0.0


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]) or str(
        exc
    )
