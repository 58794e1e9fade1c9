"""`admint variants`, `admint batch` and the scores in `admint status`, against a fake gateway at the HTTP boundary
whose answers are built with the gateway's own view functions."""

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from admint.cli.app import Context, app
from admint.core.document import MasterSection, QualitySection, ScoreEntry
from admint.gateway.group_views import group_view
from admint.gateway.groups import GroupDoc, GroupMember
from admint.gateway.views import generation_view
from tests.support import builders
from tests.support.documents import completed, fake_presign
from tests.unit.cli.test_cli import sse

pytestmark = pytest.mark.unit
GROUP = "01JTESTGROUP00000000000000"
MEMBERS = ["01JTESTMEMBER0000000000001", "01JTESTMEMBER0000000000002"]


def scored_doc(gid: str, overall: float, framework: str) -> Any:
    doc = builders.generation(gid, status="completed", plan=builders.plan().model_copy(
        update={"framework": framework}))
    entry = ScoreEntry(video=builders.ref("m.mp4"), scores=builders.quality_scores(overall, sharpness=overall))
    master = MasterSection(video=builders.ref("m.mp4"), duration_s=15, frames=450, has_audio=True)
    return doc.model_copy(update={"master": master, "quality": QualitySection(master=entry)})


def view_json(doc: Any) -> dict[str, Any]:
    view = asyncio.run(generation_view(doc, fake_presign, "", builders.WHEN))
    return json.loads(view.model_dump_json())


class GroupGateway:
    def __init__(self) -> None:
        self.docs = [scored_doc(MEMBERS[0], 70.5, "AIDA"), scored_doc(MEMBERS[1], 82.0, "PAS")]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        group = GroupDoc(_id=GROUP, owner="acme", created_at=builders.WHEN, brief="b",
                         members=[GroupMember(generation_id=d.id, document=d) for d in self.docs])
        if path == "/v1/generation-groups" and request.method == "POST":
            return httpx.Response(202, json={"id": GROUP, "created_at": "2026-01-01T00:00:00Z", "links": {},
                                             "members": [{"id": g, "status": "queued"} for g in MEMBERS]})
        if path == f"/v1/generation-groups/{GROUP}/events":
            events = []
            for i, gid in enumerate(MEMBERS):
                events += [(10 * i + 1, "generation.requested.v1", {"generation_id": gid}),
                           (10 * i + 2, "plan.completed.v1", {"generation_id": gid, "plan": {"beats": [{}]}}),
                           (10 * i + 3, "generation.completed.v1", {"generation_id": gid})]
            events.append((30, "quality.scored.v1", {"generation_id": MEMBERS[1], "kind": "master",
                                                     "scores": {"overall": 82.0}}))
            return httpx.Response(200, content=sse(*sorted(events)), headers={"content-type": "text/event-stream"})
        if path == f"/v1/generation-groups/{GROUP}":
            return httpx.Response(200, json=json.loads(group_view(group, self.docs).model_dump_json()))
        if path == f"/v1/generation-groups/{GROUP}/winner":
            from admint.gateway.groups import Winner

            picked = json.loads(request.content)["generation_id"]
            group.winner = Winner(generation_id=picked, chosen_at=builders.WHEN)
            return httpx.Response(200, json=json.loads(group_view(group, self.docs).model_dump_json()))
        return httpx.Response(404, json={"title": "Not Found", "status": 404})


def invoke(gateway: Any, args: list[str]) -> Any:
    return CliRunner().invoke(app, ["--api-key", "admk_test", *args],
                              obj=Context(transport=httpx.MockTransport(gateway)))


def test_variants_shows_bars_then_the_members_ranked_and_can_pick_the_best() -> None:
    gateway = GroupGateway()
    result = invoke(gateway, ["variants", "oat milk", "-n", "2", "-d", "15", "--pick-best"])
    assert result.exit_code == 0, result.output
    body = json.loads(next(r for r in gateway.requests if r.method == "POST").content)
    assert body == {"brief": "oat milk", "duration_s": 15, "aspect": "9:16", "variants": 2}
    table = result.stdout
    assert table.index(MEMBERS[1]) < table.index(MEMBERS[0])  # ranked by overall score
    assert "82.0" in table and "11.5" in table and f"winner {MEMBERS[1]}" in table
    assert "PAS" in table and "AIDA" in table


def test_variants_as_json_prints_every_member_event_and_the_ranked_group() -> None:
    result = invoke(GroupGateway(), ["variants", "oat milk", "-v", '{"framework": "PAS"}', "-v", '{"seed": 9}',
                                     "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["seq"] for line in lines[:-1]] == [1, 2, 3, 11, 12, 13, 30]
    ranked = lines[-1]["group"]["members"]
    assert [(m["rank"], m["generation_id"]) for m in ranked] == [(1, MEMBERS[1]), (2, MEMBERS[0])]
    assert invoke(GroupGateway(), ["variants", "x", "-v", "{nope"]).exit_code == 2


class BatchGateway:
    """Generations keyed by Idempotency-Key; each completes after one status poll; one brief is refused."""

    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}
        self.polls: dict[str, int] = {}
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self.lock:
            if path == "/v1/generations" and request.method == "POST":
                body = json.loads(request.content)
                if body["brief"] == "refused":
                    return httpx.Response(422, json={"title": "Request validation failed", "status": 422,
                                                     "detail": "no"})
                self.posts.append(body)
                key = request.headers["idempotency-key"]
                gid = self.by_key.setdefault(key, f"01JBATCH{len(self.by_key):018d}")
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                return httpx.Response(202, json={"id": gid, "status": "queued"})
            gid = path.rsplit("/", 1)[-1]
            self.polls[gid] = self.polls.get(gid, 0) + 1
            if self.polls[gid] < 2:
                return httpx.Response(200, json={"id": gid, "status": "chunking",
                                                 "quality": {"pending": [], "chunks": [], "overall": None}})
            self.in_flight -= self.polls[gid] == 2
        return httpx.Response(200, json=view_json(scored_doc(gid, 75.0, "FAB")))


def test_batch_runs_a_few_at_a_time_writes_json_lines_and_resumes(tmp_path: Path) -> None:
    briefs = tmp_path / "briefs.jsonl"
    briefs.write_text("\n".join([json.dumps({"brief": f"ad {i}", "duration_s": 15}) for i in range(4)]
                                + ["{not json", json.dumps({"brief": "refused"}),
                                   json.dumps({"brief": "keyed", "idempotency_key": "mine"})]) + "\n")
    results = tmp_path / "results.jsonl"
    gateway = BatchGateway()
    first = invoke(gateway, ["batch", str(briefs), "--concurrency", "2", "--out", str(results), "--poll", "0.1"])
    assert first.exit_code == 1  # one invalid and one refused line
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert sorted(line["line"] for line in lines) == [1, 2, 3, 4, 5, 6, 7]
    by_line = {line["line"]: line for line in lines}
    assert by_line[5]["status"] == "invalid" and by_line[6]["status"] == "refused"
    assert {by_line[n]["status"] for n in (1, 2, 3, 4, 7)} == {"completed"} and by_line[1]["overall"] == 75.0
    assert by_line[7]["key"] == "mine" and gateway.most_in_flight <= 2 and len(gateway.posts) == 5

    again = invoke(gateway, ["batch", str(briefs), "--out", str(results), "--poll", "0.1"])
    assert "skipping 5 line(s)" in again.output and len(gateway.posts) == 5  # nothing asked twice
    rerun_lines = [json.loads(line) for line in again.stdout.splitlines()]
    assert [line["line"] for line in rerun_lines] == [5, 6] and len(results.read_text().splitlines()) == 7


def test_status_shows_the_scores() -> None:
    doc = scored_doc("01JTESTGENERATION000000000", 77.7, "AIDA")
    done = completed()
    doc = doc.model_copy(update={"exports": done.exports})

    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=view_json(doc))

    result = invoke(gateway, ["status", doc.id])
    assert result.exit_code == 0, result.output
    assert "quality" in result.stdout and "77.7" in result.stdout and "sharp 78" in result.stdout
