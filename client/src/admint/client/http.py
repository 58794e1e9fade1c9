"""The gateway's HTTP API as typed methods (sync httpx). Problems (RFC 9457) become ApiError with the reason.

    with AdmintClient("http://127.0.0.1:8000", api_key=key) as client:
        accepted = client.create_generation(GenerationRequest(brief="15 s ad for a steel bottle", duration_s=15))
        done = client.wait(accepted.id)
        client.download(accepted.id, Path("ad.mp4"))
"""

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse

from admint.client.models import (
    Accepted,
    ApiKey,
    Asset,
    AssetPage,
    CreatedKey,
    FeedEvent,
    Generation,
    GenerationPage,
    GenerationRequest,
    Me,
)

DEFAULT_API_URL = "http://127.0.0.1:8000"


class ApiError(Exception):
    """The gateway answered 4xx/5xx; `detail` is the human-readable reason from its problem document."""

    def __init__(self, status: int, title: str, detail: str = "", body: dict[str, Any] | None = None,
                 retry_after: str | None = None) -> None:
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status = status
        self.title = title
        self.detail = detail
        self.body = body or {}
        self.retry_after = retry_after


class Unreachable(Exception):
    """The gateway could not be reached at all."""


def _error_of(response: httpx.Response) -> ApiError:
    body: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        parsed = response.json()
        body = parsed if isinstance(parsed, dict) else {}
    detail = str(body.get("detail") or "")
    if body.get("errors"):
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', [])[1:]) or 'request'}: {e.get('msg')}" for e in body["errors"]
        )
    return ApiError(response.status_code, str(body.get("title") or response.reason_phrase), detail, body,
                    response.headers.get("retry-after"))


class AdmintClient:
    """One API key's view of the gateway. Use as a context manager (it holds a connection pool)."""

    def __init__(self, base_url: str = DEFAULT_API_URL, api_key: str | None = None, *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.transport = transport
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "AdmintClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach the gateway at {self.base_url}: {exc}") from exc
        if response.status_code not in expect:
            raise _error_of(response)
        return response

    # generations -------------------------------------------------------------------------------------------
    def create_generation(self, body: GenerationRequest | dict[str, Any], idempotency_key: str | None = None,
                          attempts: int = 3) -> Accepted:
        """POST with an Idempotency-Key, so retrying after a network error never makes a second generation."""
        headers = {"Idempotency-Key": idempotency_key or f"client-{uuid.uuid4()}"}
        payload = body.body() if isinstance(body, GenerationRequest) else body
        for attempt in range(1, attempts + 1):
            try:
                return Accepted.model_validate(self.request("POST", "/v1/generations", json=payload,
                                                            headers=headers, expect=(200, 202)).json())
            except Unreachable:
                if attempt == attempts:
                    raise
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def generation(self, generation_id: str) -> Generation:
        return Generation.model_validate(self.request("GET", f"/v1/generations/{generation_id}").json())

    def wait(self, generation_id: str, on_event: Callable[[FeedEvent], None] | None = None) -> Generation:
        """Follow the live feed until the generation completes, fails or is cancelled; then read it."""
        for event in self.follow(generation_id):
            if on_event is not None:
                on_event(event)
        return self.generation(generation_id)

    def generations(self, status: str | None = None, limit: int = 20, cursor: str | None = None) -> GenerationPage:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        return GenerationPage.model_validate(self.request("GET", "/v1/generations", params=params).json())

    def cancel(self, generation_id: str) -> Accepted:
        return Accepted.model_validate(
            self.request("POST", f"/v1/generations/{generation_id}/cancel", expect=(202,)).json())

    def retry(self, generation_id: str) -> Accepted:
        return Accepted.model_validate(
            self.request("POST", f"/v1/generations/{generation_id}/retry", expect=(202,)).json())

    def events(self, generation_id: str, last_event_id: int | None = None) -> Iterator[FeedEvent]:
        """One SSE connection: history (or what follows `last_event_id`), then live events until the end."""
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        timeout = httpx.Timeout(30.0, read=120.0)  # keep-alives arrive every 15 s
        try:
            with connect_sse(self.http, "GET", f"/v1/generations/{generation_id}/events", headers=headers,
                             timeout=timeout) as source:
                if source.response.status_code != 200:
                    source.response.read()
                    raise _error_of(source.response)
                for sse in source.iter_sse():
                    if sse.event and sse.id:
                        yield FeedEvent(seq=int(sse.id), type=sse.event, data=sse.json() if sse.data else {})
        except httpx.TransportError as exc:
            raise Unreachable(str(exc)) from exc

    def follow(self, generation_id: str, *, max_reconnects: int = 20,
               sleep: Callable[[float], None] = time.sleep) -> Iterator[FeedEvent]:
        """Events until a terminal one, reconnecting with Last-Event-ID (nothing lost or repeated) on drops."""
        last: int | None = None
        failures = 0
        while True:
            try:
                for event in self.events(generation_id, last):
                    failures = 0
                    last = event.seq
                    yield event
                    if event.terminal:
                        return
            except ApiError as exc:
                if exc.status not in (429, 502, 503, 504):
                    raise
                failures += 1
                if failures > max_reconnects:
                    raise
                wait = exc.retry_after or ""
                sleep(float(wait) if wait.isdigit() else 2.0)
                continue
            except (Unreachable, SSEError) as exc:
                failures += 1
                if failures > max_reconnects:
                    raise Unreachable(f"lost the event feed of {generation_id}: {exc}") from exc
            sleep(min(5.0, 0.5 * (failures + 1)))

    def download(self, generation_id: str, out: Path, rendition: str | None = None,
                 on_progress: Callable[[int, int | None], None] | None = None) -> Path:
        """Follow the 307 to the presigned URL with a fresh client (the API key never goes to storage)."""
        params = {"rendition": rendition} if rendition else {}
        redirect = self.request("GET", f"/v1/generations/{generation_id}/video", params=params, expect=(307,))
        location = redirect.headers["location"]
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        try:
            with httpx.Client(transport=self.transport, timeout=httpx.Timeout(30.0, read=300.0)) as storage, \
                    storage.stream("GET", location) as response:
                if response.status_code != 200:
                    response.read()
                    raise ApiError(response.status_code, "download failed", response.text[:300])
                total = int(response.headers["content-length"]) if "content-length" in response.headers else None
                done = 0
                with partial.open("wb") as fh:
                    for block in response.iter_bytes(1 << 20):
                        fh.write(block)
                        done += len(block)
                        if on_progress:
                            on_progress(done, total)
        except httpx.TransportError as exc:
            partial.unlink(missing_ok=True)
            raise Unreachable(f"download of {generation_id} failed: {exc}") from exc
        os.replace(partial, out)
        return out

    # generation groups (A/B variants) ---------------------------------------------------------------------
    def create_group(self, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key or f"cli-{uuid.uuid4()}"}
        return dict(self.request("POST", "/v1/generation-groups", json=body, headers=headers,
                                 expect=(200, 202)).json())

    def group(self, group_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/generation-groups/{group_id}").json())

    def pick_winner(self, group_id: str, generation_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/generation-groups/{group_id}/winner",
                                 json={"generation_id": generation_id}).json())

    # assets and keys ---------------------------------------------------------------------------------------
    def upload_asset(self, path: Path) -> Asset:
        with path.open("rb") as fh:
            return Asset.model_validate(
                self.request("POST", "/v1/assets", files={"file": (path.name, fh)}, expect=(201,)).json())

    def assets(self, limit: int = 20) -> AssetPage:
        return AssetPage.model_validate(self.request("GET", "/v1/assets", params={"limit": limit}).json())

    def me(self) -> Me:
        return Me.model_validate(self.request("GET", "/v1/me").json())

    def create_key(self, owner: str, name: str = "", max_active: int | None = None,
                   rate_per_minute: int | None = None) -> CreatedKey:
        body: dict[str, Any] = {"owner": owner, "name": name}
        if max_active:
            body["max_active_generations"] = max_active
        if rate_per_minute:
            body["rate_limit_per_minute"] = rate_per_minute
        return CreatedKey.model_validate(self.request("POST", "/v1/admin/keys", json=body, expect=(201,)).json())

    def keys(self, owner: str | None = None) -> list[ApiKey]:
        params = {"owner": owner} if owner else {}
        return [ApiKey.model_validate(k) for k in self.request("GET", "/v1/admin/keys", params=params).json()]

    def revoke_key(self, key_id: str) -> None:
        self.request("DELETE", f"/v1/admin/keys/{key_id}", expect=(204,))


ApiClient = AdmintClient
"""The name the CLI used before the client was its own package."""
