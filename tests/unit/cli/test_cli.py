"""The CLI against a fake gateway at the HTTP boundary (httpx.MockTransport): flows, progress, exit codes."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from admint.cli.app import Context, app
from admint.cli.progress import GenerationProgress
from admint.client import ApiClient, Unreachable
from admint.gateway.views import generation_view
from tests.support.documents import completed, fake_presign

pytestmark = pytest.mark.unit
GID = "01JTESTGENERATION000000000"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"v" * 5000


def sse(*events: tuple[int, str, dict]) -> bytes:
    text = "retry: 100\n\n: keep-alive\n\n"
    for seq, kind, data in events:
        text += f"id: {seq}\nevent: {kind}\ndata: {json.dumps(data)}\n\n"
    return text.encode()


Feed = list[tuple[int, str, dict[str, Any]]]
PLAN: dict[str, Any] = {"plan": {"archetype": "hero", "beats": [{}, {}, {}]}}
HAPPY: Feed = [
    (1, "generation.requested.v1", {}),
    (2, "plan.completed.v1", PLAN),
    (3, "stage.progress.v1", {"stage": "storyboard", "done": 1, "total": 3}),
    (4, "frame.completed.v1", {"beat_index": 1, "beat_count": 3}),
    (5, "storyboard.completed.v1", {}),
    (6, "chunk.completed.v1", {"beat_index": 0, "chunk_index": 0, "chunk_count": 2}),
    (7, "stage.progress.v1", {"stage": "chunking", "done": 2, "total": 4}),
    (8, "chunks.completed.v1", {"chunks": [{}, {}, {}, {}]}),
    (9, "stitch.completed.v1", {"duration_s": 30.0, "has_audio": True}),
    (10, "export.completed.v1", {"renditions": [{"aspect": "9:16"}]}),
    (11, "generation.completed.v1", {"duration_s": 30.0}),
]


class FakeGateway:
    """Routes like the real gateway; records what the CLI sent."""

    def __init__(self, events: Feed, drop_after: int | None = None) -> None:
        self.events = events
        self.drop_after = drop_after
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.url.host == "s3.test":
            assert "authorization" not in request.headers  # the API key never goes to storage
            return httpx.Response(200, content=VIDEO, headers={"content-length": str(len(VIDEO))})
        if request.headers.get("authorization") != "Bearer admk_test":
            return httpx.Response(401, json={"title": "Unauthorized", "status": 401, "detail": "bad key"},
                                  headers={"content-type": "application/problem+json"})
        if path == "/v1/generations" and request.method == "POST":
            return httpx.Response(202, json={"id": GID, "status": "queued", "created_at": "2026-01-01T00:00:00Z",
                                             "links": {}})
        if path.endswith("/events"):
            after = int(request.headers.get("last-event-id", 0))
            todo = [e for e in self.events if e[0] > after]
            if self.drop_after is not None and after < self.drop_after:
                todo = [e for e in todo if e[0] <= self.drop_after]  # the connection drops here
            return httpx.Response(200, content=sse(*todo), headers={"content-type": "text/event-stream"})
        if path.endswith("/video"):
            return httpx.Response(307, headers={"location": "http://s3.test/bucket/video.mp4?sig=1"})
        if path == f"/v1/generations/{GID}":
            return httpx.Response(200, json={"id": GID, "status": "completed", "spec": {"brief": "b"},
                                             "costs": {"total_usd": 0}})
        if path == "/v1/admin/keys":
            return httpx.Response(201, json={"id": "K1", "owner": json.loads(request.content)["owner"],
                                             "api_key": "admk_new", "prefix": "admk_n"})
        return httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": "no such thing"})


def invoke(gateway: Callable[[httpx.Request], httpx.Response], args: list[str], key: str = "admk_test"):
    runner = CliRunner()
    return runner.invoke(app, ["--api-key", key, "--admin-token", "admk_test", *args],
                         obj=Context(transport=httpx.MockTransport(gateway)))


def test_generate_follows_progress_and_downloads(tmp_path: Path) -> None:
    gateway = FakeGateway(HAPPY)
    target = tmp_path / "ads" / "ad.mp4"
    result = invoke(gateway, ["generate", "A brief", "--duration", "30", "--framework", "AIDA", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == VIDEO
    assert str(target.resolve()) in result.stdout
    post = next(r for r in gateway.requests if r.method == "POST")
    assert json.loads(post.content)["framework"] == "AIDA" and post.headers["idempotency-key"].startswith("cli-")


def test_generate_json_prints_machine_readable_events(tmp_path: Path) -> None:
    result = invoke(FakeGateway(HAPPY), ["generate", "A brief", "--json", "-o", str(tmp_path / "x.mp4")])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["type"] for line in lines[:-1]] == [e[1] for e in HAPPY]
    assert lines[-1] == {"type": "admint.cli.result", "generation_id": GID, "outcome": "completed",
                         "path": str((tmp_path / "x.mp4").resolve())}


def test_failure_exits_nonzero_with_the_reason(tmp_path: Path) -> None:
    failing: Feed = [(1, "generation.requested.v1", {}),
               (2, "generation.failed.v1", {"stage": "planning", "reason": "the brief names no product"})]
    result = invoke(FakeGateway(failing), ["generate", "?", "-o", str(tmp_path / "x.mp4")])
    assert result.exit_code == 1
    assert "the brief names no product" in result.output
    assert not (tmp_path / "x.mp4").exists()


def test_feed_reconnects_with_last_event_id_and_loses_nothing() -> None:
    gateway = FakeGateway(HAPPY, drop_after=4)
    client = ApiClient("http://gw", "admk_test", transport=httpx.MockTransport(gateway))
    seen = [e.seq for e in client.follow(GID, sleep=lambda _: None)]
    assert seen == list(range(1, 12))
    resumes = [r.headers.get("last-event-id") for r in gateway.requests if r.url.path.endswith("/events")]
    assert resumes == [None, "4"]


def test_feed_waits_out_a_429_then_resumes() -> None:
    inner = FakeGateway(HAPPY)
    calls = {"n": 0}
    slept: list[float] = []

    def limited(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events") and calls["n"] == 0:
            calls["n"] += 1
            return httpx.Response(429, json={"title": "Too Many Requests", "status": 429},
                                  headers={"Retry-After": "7"})
        return inner(request)

    client = ApiClient("http://gw", "admk_test", transport=httpx.MockTransport(limited))
    assert len(list(client.follow(GID, sleep=slept.append))) == len(HAPPY)
    assert slept == [7.0]


def test_feed_gives_up_after_repeated_connection_failures() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    client = ApiClient("http://gw", "admk_test", transport=httpx.MockTransport(down))
    with pytest.raises(Unreachable):
        list(client.follow(GID, max_reconnects=2, sleep=lambda _: None))


def test_api_errors_and_missing_key_exit_codes(tmp_path: Path) -> None:
    bad = invoke(FakeGateway(HAPPY), ["status", GID], key="admk_wrong")
    assert bad.exit_code == 3 and "bad key" in bad.output
    missing = CliRunner().invoke(app, ["status", GID], obj=Context(transport=httpx.MockTransport(FakeGateway([]))),
                                 env={"ADMINT_API_KEY": ""})
    assert missing.exit_code == 2 and "API key" in missing.output

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    unreachable = invoke(down, ["list"])
    assert unreachable.exit_code == 4 and "cannot reach the gateway" in unreachable.output


def test_status_download_and_keys(tmp_path: Path) -> None:
    gateway = FakeGateway(HAPPY)
    status = invoke(gateway, ["status", GID, "--json"])
    assert status.exit_code == 0 and json.loads(status.stdout)["status"] == "completed"
    target = tmp_path / "v.mp4"
    downloaded = invoke(gateway, ["download", GID, "--rendition", "1:1", "-o", str(target)])
    assert downloaded.exit_code == 0 and target.read_bytes() == VIDEO
    video = next(r for r in gateway.requests if r.url.path.endswith("/video"))
    assert video.url.params["rendition"] == "1:1"
    created = invoke(gateway, ["keys", "create", "--owner", "acme"])
    assert created.exit_code == 0 and created.stdout.strip() == "admk_new"


def test_progress_state_machine() -> None:
    state = GenerationProgress()
    for _seq, kind, data in HAPPY[:7]:
        state.apply(kind, data)
    assert state.steps["planning"].finished and state.steps["planning"].note == "hero · 3 beats"
    assert state.steps["storyboard"].finished and state.steps["storyboard"].done == 3
    chunks = state.steps["chunks"]
    assert (chunks.done, chunks.total, chunks.finished) == (2, 4, False)
    assert not state.steps["stitching"].started
    state.apply("brand.new.event.v9", {"anything": 1})  # unknown types are ignored
    for _seq, kind, data in HAPPY[7:]:
        state.apply(kind, data)
    assert state.outcome == "completed" and all(s.finished for s in state.steps.values())
    cancelled = GenerationProgress()
    cancelled.apply("generation.cancelled.v1", {"reason": "cancelled by owner"})
    assert (cancelled.outcome, cancelled.reason) == ("cancelled", "cancelled by owner")


def test_retry_reports_the_new_round_and_the_reason_it_cannot() -> None:
    answers = iter([
        httpx.Response(202, json={"id": GID, "status": "chunking", "created_at": "2026-11-23T12:00:00Z",
                                  "links": {}}),
        httpx.Response(409, json={"title": "Conflict", "status": 409,
                                  "detail": "only failed generations can be retried; this one is chunking"},
                       headers={"content-type": "application/problem+json"}),
    ])
    seen: list[str] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return next(answers)

    ok = invoke(gateway, ["retry", GID])
    assert ok.exit_code == 0 and "retrying (chunking)" in ok.output
    refused = invoke(gateway, ["retry", GID])
    assert refused.exit_code != 0 and "only failed generations can be retried" in refused.output
    assert seen == [f"POST /v1/generations/{GID}/retry"] * 2


async def test_status_reads_the_gateways_response_model() -> None:
    """The status table from what the gateway really answers for a finished generation (its response model)."""
    view = await generation_view(completed(GID), fake_presign, "", datetime(2030, 1, 1, tzinfo=UTC))
    failing = view.renditions[0].model_copy(update={
        "aspect": "1:1", "spec_check": view.renditions[0].spec_check.model_copy(
            update={"passed": False, "problems": ["[moov] after mdat"]})})
    view = view.model_copy(update={"renditions": [*view.renditions, failing]})
    body = json.loads(view.model_dump_json())

    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    result = invoke(gateway, ["status", GID])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "completed · retry 1" in text and "luxury_showcase · AIDA · 3 beats" in text
    assert "9:16 ✓" in text and "1:1 ✗ [moov] after mdat" in text and "$0.2530" in text
