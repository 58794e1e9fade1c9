"""A stand-in for Replicate's HTTP API at the transport boundary (httpx.MockTransport), replaying recordings.

Predictions are created `starting`, become `processing` and reach the recorded terminal object after `polls`
GETs (or stay stuck, for timeout tests). Failures can be queued per route to test retries. A fake clock makes
every wait (polling intervals, backoff, Retry-After) instant and observable.
"""

import asyncio
import copy
import io
import json
import re
import wave
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from admint.providers.ports import SlotLease
from admint.providers.replicate import ReplicateClient, ReplicateConfig

RECORDINGS = Path(__file__).with_name("recordings")
API = "https://api.replicate.com/v1"
TOKEN = "r8_unit_test_token"
CREATE = re.compile(r"^/v1/(models/[^/]+/[^/]+/)?predictions$")
PREDICTION = re.compile(r"^/v1/predictions/([^/]+)$")
CANCEL = re.compile(r"^/v1/predictions/([^/]+)/cancel$")


def recording(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / f"{name}.json").read_text())


def body(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content)


class FakeClock:
    """Monotonic time that only moves when someone sleeps; remembers every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would


class FakeReplicate:
    def __init__(
        self,
        final: str | dict[str, Any],
        *,
        polls: int = 2,
        stuck: str | None = None,
        files: dict[str, bytes] | None = None,
    ) -> None:
        self.final = recording(final) if isinstance(final, str) else final
        self.polls = polls
        self.stuck = stuck
        self.files = dict(files or {})
        self.requests: list[httpx.Request] = []
        self.queued: list[tuple[str, str, Any]] = []
        self.polled: dict[str, int] = {}
        self.done: set[str] = set()
        self.cancelled: list[str] = []
        self.inflight = 0
        self.max_inflight = 0

    # -- test controls ---------------------------------------------------------------------------------------

    def queue(self, method: str, url_part: str, *outcomes: Any) -> None:
        """Answer the next matching requests with these responses (or raise these exception classes)."""
        self.queued.extend((method, url_part, outcome) for outcome in outcomes)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, clock: FakeClock, shared_slots: SlotLease | None = None, **config: Any) -> ReplicateClient:
        return ReplicateClient(
            ReplicateConfig(token=TOKEN, base_url=API, **config),
            transport=self.transport(), sleep=clock.sleep, clock=clock, rng=lambda: 0.5, shared_slots=shared_slots,
        )

    def calls(self, method: str, pattern: re.Pattern[str] | str) -> list[httpx.Request]:
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        return [r for r in self.requests if r.method == method and regex.search(r.url.path)]

    # -- the server ------------------------------------------------------------------------------------------

    def _object(self, pid: str, status: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        obj = copy.deepcopy(self.final)
        obj.update(id=pid, status=status)
        obj["urls"] = {**obj.get("urls", {}), "get": f"{API}/predictions/{pid}",
                       "cancel": f"{API}/predictions/{pid}/cancel"}
        if inputs is not None:
            obj["input"] = inputs
        if status != self.final["status"]:
            obj.update(output=None, error=None, metrics={}, completed_at=None)
            if status == "starting":
                obj.update(logs="", started_at=None)
        return obj

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for i, (method, part, outcome) in enumerate(self.queued):
            if request.method == method and part in str(request.url):
                del self.queued[i]
                if isinstance(outcome, type) and issubclass(outcome, httpx.RequestError):
                    raise outcome("injected failure", request=request)
                return outcome
        path = request.url.path
        if request.url.host != "api.replicate.com":
            data = self.files.get(str(request.url))
            return httpx.Response(200, content=data) if data is not None else httpx.Response(404)
        if request.method == "POST" and CREATE.match(path):
            pid = f"{self.final['id'][:20]}{len(self.polled):06d}"
            self.polled[pid] = 0
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            return httpx.Response(201, json=self._object(pid, "starting", body(request)["input"]))
        if request.method == "POST" and (match := CANCEL.match(path)):
            pid = match.group(1)
            self.cancelled.append(pid)
            self._finish(pid)
            return httpx.Response(200, json={**self._object(pid, "processing"), "status": "canceled"})
        if request.method == "GET" and (match := PREDICTION.match(path)):
            pid = match.group(1)
            self.polled[pid] += 1
            if self.stuck:
                return httpx.Response(200, json=self._object(pid, self.stuck))
            if self.polled[pid] <= self.polls:
                return httpx.Response(200, json=self._object(pid, "processing"))
            self._finish(pid)
            return httpx.Response(200, json=self._object(pid, self.final["status"]))
        if request.method == "POST" and path == "/v1/files":
            return httpx.Response(201, json=recording("file.created"))
        return httpx.Response(404, json={"title": "Not found", "detail": f"no route {request.method} {path}"})

    def _finish(self, pid: str) -> None:
        if pid not in self.done:
            self.done.add(pid)
            self.inflight -= 1


# -- tiny real media -----------------------------------------------------------------------------------------


def png(width: int, height: int, left=(0, 0, 255), right=(255, 0, 0)) -> bytes:
    """A real PNG: left half one BGR colour, right half another (so crops and resizes can be checked)."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = left
    pixels[:, width // 2 :] = right
    return cv2.imencode(".png", pixels)[1].tobytes()


def product_png(size: int = 64, alpha: bool = True) -> bytes:
    """A dark product shape (a rounded bottle-ish rectangle) on a transparent or white background."""
    pixels = np.zeros((size, size, 4), np.uint8)
    pixels[:, :, :3] = 255
    cv2.rectangle(pixels, (size // 3, size // 6), (2 * size // 3, 5 * size // 6), (40, 60, 90, 255), -1)
    cv2.circle(pixels, (size // 2, size // 6), size // 8, (40, 60, 90, 255), -1)
    if not alpha:
        return cv2.imencode(".png", pixels[:, :, :3])[1].tobytes()
    return cv2.imencode(".png", pixels)[1].tobytes()


def wav(seconds: float, rate: int = 8000) -> bytes:
    """A real (silent) mono 16-bit WAV of the given length."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * round(seconds * rate))
    return buf.getvalue()


FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
