"""Async client of Replicate's HTTP API: create a prediction, poll it to the end, download its outputs.

Every model adapter (image, video, music) goes through `ReplicateClient.run`, so retries, timeouts,
cancellation, per-model concurrency and error mapping live in one place:
- transient HTTP trouble (timeouts, connection errors, 429 honouring Retry-After, 5xx) is retried with
  exponential backoff and jitter; once the budget is spent it surfaces as TransientProviderError (the message
  is retried later);
- any other 4xx fails fast as PermanentProviderError carrying the API's `detail`;
- a prediction that ends `failed` is permanent (unless Replicate itself says "please retry");
- a prediction still running at the overall timeout is cancelled on Replicate (no more billing), then raised:
  transient if it never left the queue (`starting`: provider busy / cold boot), permanent but user-retryable
  if it was `processing` (the model itself is too slow for this input; a redelivery would pay for it again).
"""

import asyncio
import base64
import binascii
import contextlib
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.core.metrics import PROVIDER_CALLS
from admint.providers.ports import SlotLease
from admint.providers.registry import ModelInfo

log = logging.getLogger(__name__)

TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
RETRYABLE_FAILURE_MARKERS = ("please retry", "(code: pa)")
"""Replicate's own wording for predictions interrupted by its infrastructure (preempted hardware)."""

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class ReplicateConfig:
    """Knobs of the client; the defaults suit production, tests shrink the waits."""

    token: str
    base_url: str = "https://api.replicate.com/v1"
    timeout_s: float = 600.0
    """Overall limit of one prediction from creation to a terminal status; then it is cancelled."""
    request_timeout_s: float = 30.0
    """Limit of one HTTP request (downloads get four times as long)."""
    attempts: int = 5
    """Tries per HTTP request before a transient failure is given up on."""
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    max_retry_after_s: float = 60.0
    """A longer Retry-After is not slept through here: the message is retried later, freeing the worker."""
    poll_first_s: float = 1.0
    poll_factor: float = 1.5
    poll_max_s: float = 10.0
    data_uri_max_bytes: int = 1_000_000
    """Replicate recommends data URIs only below 1 MB; larger inputs go through the Files API."""
    user_agent: str = "admint/0.1"


@dataclass(frozen=True)
class ModelRef:
    """`owner/name` (an official model, run by name) or `owner/name:version` (a community model version)."""

    owner: str
    name: str
    version: str | None = None

    @classmethod
    def parse(cls, ref: str) -> "ModelRef":
        path, _, version = ref.partition(":")
        owner, _, name = path.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"replicate model ref {ref!r} is not owner/name[:version]")
        return cls(owner, name, version or None)


@dataclass(frozen=True)
class Prediction:
    """The fields of a Replicate prediction object we act on."""

    id: str
    status: str
    output: Any = None
    error: str | None = None
    logs: str = ""
    predict_time_s: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, body: Any) -> "Prediction":
        if not isinstance(body, dict) or not body.get("id") or not body.get("status"):
            raise TransientProviderError(f"replicate answered with something not a prediction: {body!r:.200}")
        metrics = body.get("metrics") or {}
        predict_time = metrics.get("predict_time") if isinstance(metrics, dict) else None
        return cls(
            id=str(body["id"]),
            status=str(body["status"]),
            output=body.get("output"),
            error=None if body.get("error") is None else str(body["error"]),
            logs=str(body.get("logs") or ""),
            predict_time_s=float(predict_time) if isinstance(predict_time, int | float) else None,
            raw=body,
        )

    def notes(self) -> dict[str, str]:
        """What an adapter puts in ProviderResult.notes for the document and the logs."""
        notes = {"prediction_id": self.id}
        if self.predict_time_s is not None:
            notes["predict_time_s"] = f"{self.predict_time_s:.2f}"
        return notes


def _api_detail(response: httpx.Response) -> str:
    """The human part of an error answer: Replicate sends problem+json with `title` and `detail`."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500].strip() or response.reason_phrase
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
        if parts:
            return ": ".join(parts)
    return str(body)[:500]


def _retry_after_s(response: httpx.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _decode_data_uri(uri: str) -> bytes:
    header, _, payload = uri.partition(",")
    try:
        return base64.b64decode(payload, validate=True) if header.endswith(";base64") else payload.encode()
    except (binascii.Error, ValueError) as exc:
        raise PermanentProviderError("replicate returned an unreadable data URI output") from exc


def output_urls(output: Any) -> list[str]:
    """The file URLs of a prediction output: a URL, a list of URLs, or a dict of them (in order)."""
    if isinstance(output, str):
        return [output]
    if isinstance(output, list):
        return [u for item in output for u in output_urls(item)]
    if isinstance(output, dict):
        return [u for item in output.values() for u in output_urls(item)]
    return []


def output_suffix(output: Any, default: str) -> str:
    """The file extension of the first output URL (".mp4", ".wav" …), or `default` when it has none."""
    urls = output_urls(output)
    suffix = Path(urlsplit(urls[0]).path).suffix.lower() if urls and not urls[0].startswith("data:") else ""
    return suffix if 1 < len(suffix) <= 5 else default


def write_atomic(path: Path, data: bytes) -> None:
    """Write then rename, so a crash never leaves a half file that a retry would take for output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


class ReplicateClient:
    """One client per process and provider; safe to share between concurrent handlers."""

    def __init__(
        self,
        config: ReplicateConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
        shared_slots: SlotLease | None = None,
    ) -> None:
        if not config.token:
            raise ValueError("a Replicate API token is required")
        self.config = config
        self._base = config.base_url.rstrip("/")
        self._api_host = urlsplit(self._base).netloc
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._http: httpx.AsyncClient | None = None
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._shared_slots = shared_slots

    # -- lifecycle -------------------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(self.config.request_timeout_s, connect=10.0),
                follow_redirects=True,
                headers={"User-Agent": self.config.user_agent},
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def slot(self, model: ModelInfo) -> asyncio.Semaphore:
        """The per-model concurrency limit (registry `concurrency`), shared by every caller of this client."""
        if model.name not in self._slots:
            self._slots[model.name] = asyncio.Semaphore(model.concurrency)
        return self._slots[model.name]

    @contextlib.asynccontextmanager
    async def hold_slot(self, model: ModelInfo) -> AsyncIterator[None]:
        """The model's concurrency limit: this process's semaphore, then (when configured) the cluster-wide
        lease, so every replica together stays within the registry's `concurrency`."""
        async with self.slot(model):
            if self._shared_slots is None:
                yield
                return
            async with self._shared_slots(f"replicate:{model.name}", model.concurrency):
                yield

    # -- HTTP with retries -----------------------------------------------------------------------------------

    def _backoff_s(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half the step fixed, half random (spreads retry storms)."""
        step = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2**attempt)
        return step / 2 + self._rng() * step / 2

    async def _request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        deadline: float | None = None,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call, retried on transient trouble; raises the provider error the caller should surface."""
        headers = kwargs.pop("headers", {})
        if urlsplit(url).netloc == self._api_host:  # never leak the token to the file delivery hosts
            headers["Authorization"] = f"Bearer {self.config.token}"
        timeout = httpx.USE_CLIENT_DEFAULT if timeout_s is None else timeout_s
        last = ""
        for attempt in range(self.config.attempts):
            delay: float
            try:
                response = await self._client().request(
                    method, url, headers=headers, timeout=timeout, **kwargs
                )
            except httpx.TransportError as exc:  # timeouts, refused/reset connections, protocol errors
                last = f"{type(exc).__name__}: {exc}".rstrip(": ")
                delay = self._backoff_s(attempt)
            else:
                status = response.status_code
                if status < 400:
                    return response
                last = f"HTTP {status} {_api_detail(response)}"
                if status == 429 or status >= 500:
                    retry_after = _retry_after_s(response)
                    if retry_after is not None and retry_after > self.config.max_retry_after_s:
                        wait = f"retry after {retry_after:g}s"
                        raise TransientProviderError(f"replicate {what}: {last}; {wait}")
                    delay = retry_after if retry_after is not None else self._backoff_s(attempt)
                else:
                    hint = " (check ADMINT_REPLICATE_API_TOKEN)" if status in (401, 403) else ""
                    raise PermanentProviderError(
                        f"replicate refused {what}: HTTP {status}{hint}", detail=_api_detail(response)
                    )
            if attempt + 1 >= self.config.attempts:
                break
            if deadline is not None and self._clock() + delay > deadline:
                raise TransientProviderError(f"replicate {what}: out of time while retrying ({last})")
            log.warning("replicate %s failed, retrying in %.1fs: %s", what, delay, last,
                        extra={"attempt": attempt + 1})
            await self._sleep(delay)
        raise TransientProviderError(f"replicate {what} failed after {self.config.attempts} attempts: {last}")

    async def _json(self, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        response = await self._request(method, url, what=what, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            text = response.text[:200]
            raise TransientProviderError(f"replicate {what}: answer is not JSON ({text!r})") from exc

    # -- predictions -----------------------------------------------------------------------------------------

    async def create(
        self, model: ModelInfo, inputs: dict[str, Any], *, deadline: float | None = None
    ) -> Prediction:
        """Start a prediction: official models by name, community models by version id."""
        ref = ModelRef.parse(model.ref)
        if ref.version:
            url, body = f"{self._base}/predictions", {"version": ref.version, "input": inputs}
        else:
            url, body = f"{self._base}/models/{ref.owner}/{ref.name}/predictions", {"input": inputs}
        return Prediction.from_json(
            await self._json("POST", url, what=f"create {model.ref} prediction", json=body, deadline=deadline)
        )

    async def get(self, prediction_id: str, *, deadline: float | None = None) -> Prediction:
        url = f"{self._base}/predictions/{prediction_id}"
        body = await self._json("GET", url, what=f"poll {prediction_id}", deadline=deadline)
        return Prediction.from_json(body)

    async def cancel(self, prediction_id: str) -> None:
        """Best effort: a failed cancel is logged, never raised over the error that caused it."""
        try:
            await self._request("POST", f"{self._base}/predictions/{prediction_id}/cancel",
                                what=f"cancel {prediction_id}")
        except (TransientProviderError, PermanentProviderError) as exc:
            log.warning("could not cancel replicate prediction %s: %s", prediction_id, exc)

    async def run(self, model: ModelInfo, inputs: dict[str, Any]) -> Prediction:
        """Create a prediction and poll it to `succeeded` within the overall timeout, in the model's slot."""
        async with self.hold_slot(model):
            deadline = self._clock() + self.config.timeout_s
            prediction: Prediction | None = None
            try:
                prediction = await self.create(model, inputs, deadline=deadline)
                log.info("replicate prediction %s of %s created", prediction.id, model.name,
                         extra={"prediction_id": prediction.id, "model": model.name})
                prediction = await self._wait(model, prediction, deadline)
            except asyncio.CancelledError:  # worker shutdown or an outer timeout: stop paying for it
                if prediction is not None:
                    await asyncio.wait_for(self.cancel(prediction.id), timeout=10.0)
                raise
            except TransientProviderError:
                PROVIDER_CALLS.labels(model=model.name, outcome="transient").inc()
                raise
            except PermanentProviderError:
                PROVIDER_CALLS.labels(model=model.name, outcome="permanent").inc()
                raise
        PROVIDER_CALLS.labels(model=model.name, outcome="succeeded").inc()
        return prediction

    async def _wait(self, model: ModelInfo, prediction: Prediction, deadline: float) -> Prediction:
        interval = self.config.poll_first_s
        while prediction.status not in TERMINAL:
            remaining = deadline - self._clock()
            if remaining <= 0:
                await self.cancel(prediction.id)
                raise self._timeout_error(model, prediction)
            await self._sleep(min(interval, remaining))
            interval = min(interval * self.config.poll_factor, self.config.poll_max_s)
            try:
                prediction = await self.get(prediction.id, deadline=deadline)
            except (TransientProviderError, PermanentProviderError):
                await self.cancel(prediction.id)  # lost track of it: a redelivery would start (and pay) anew
                raise
        if prediction.status == "succeeded":
            log.info("replicate prediction %s of %s succeeded", prediction.id, model.name,
                     extra={"prediction_id": prediction.id, "predict_time_s": prediction.predict_time_s})
            return prediction
        raise self._terminal_error(model, prediction)

    def _timeout_error(self, model: ModelInfo, prediction: Prediction) -> Exception:
        limit = f"{self.config.timeout_s:g}s"
        if prediction.status == "starting":
            return TransientProviderError(
                f"replicate {model.name} prediction {prediction.id} did not start within {limit} "
                "(queue or cold boot); cancelled"
            )
        return PermanentProviderError(
            f"replicate {model.name} prediction {prediction.id} ran past the {limit} timeout; cancelled",
            detail=prediction.logs[-500:] or None,
            retryable=True,
        )

    def _terminal_error(self, model: ModelInfo, prediction: Prediction) -> Exception:
        if prediction.status == "aborted":
            return TransientProviderError(
                f"replicate aborted {model.name} prediction {prediction.id} before it started"
            )
        if prediction.status == "canceled":
            return PermanentProviderError(f"replicate {model.name} prediction {prediction.id} was canceled")
        error = (prediction.error or "no error message").strip()
        reason = f"replicate {model.name} prediction failed: {error.splitlines()[0][:200]}"
        if any(marker in error.lower() for marker in RETRYABLE_FAILURE_MARKERS):
            return TransientProviderError(reason)
        logs_tail = prediction.logs[-500:]
        return PermanentProviderError(reason, detail=f"{error}\n{logs_tail}".strip())

    # -- files -----------------------------------------------------------------------------------------------

    async def download(self, output: Any) -> list[bytes]:
        """The bytes of every file in a prediction output (URLs fetched with retries, data URIs decoded)."""
        urls = output_urls(output)
        if not urls:
            raise PermanentProviderError(f"replicate prediction succeeded without a file: {output!r:.200}")
        files = []
        for url in urls:
            if url.startswith("data:"):
                data = _decode_data_uri(url)
            else:
                response = await self._request(
                    "GET", url, what=f"download {url}", timeout_s=self.config.request_timeout_s * 4
                )
                data = response.content
            if not data:
                raise PermanentProviderError(f"replicate output {url[:120]} is empty")
            files.append(data)
        return files

    async def file_input(self, data: bytes, content_type: str, filename: str) -> str:
        """A value for a file input: a data URI when small, else an upload through the Files API."""
        if len(data) <= self.config.data_uri_max_bytes:
            return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
        body = await self._json(
            "POST", f"{self._base}/files", what=f"upload {filename}",
            files={"content": (filename, data, content_type)},
        )
        url = body.get("urls", {}).get("get") if isinstance(body, dict) else None
        if not url:
            raise TransientProviderError(f"replicate file upload of {filename} returned no URL")
        return str(url)
