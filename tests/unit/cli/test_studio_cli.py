"""`admint generate --interactive` driven by its prompts, against a scripted gateway at the HTTP boundary: the
feed grows as the owner acts (like the real one), frames and mood images are fetched from storage and saved as
thumbnails, and every command is sent as the API wants it. The non-interactive studio commands too."""

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.unit.cli.test_cli import GID, VIDEO, invoke, sse

pytestmark = pytest.mark.unit
PLAN = {"archetype": "hero", "call_to_action": "Shop now", "beats": [
    {"index": i, "role": r, "action": f"shot {i}", "caption": f"Caption {i}", "duration_s": 5,
     "camera_movement": "static"} for i, r in enumerate(["attention", "desire", "action"])]}
DEADLINE = "2026-12-01T00:00:00Z"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 160), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def frame(beat: int, take: int = 0) -> dict[str, Any]:
    return {"beat_index": beat, "take": take, "image": {"key": f"f{beat}.{take}.png"},
            "url": f"http://s3.test/bucket/storyboard/{beat}.t{take}.png?sig=1"}


class Studio:
    """A gateway whose feed grows with each command, as the real pipeline's would."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, dict[str, Any]]] = []
        self.commands: list[tuple[str, str, Any]] = []
        self.plan = json.loads(json.dumps(PLAN))
        self.emit("generation.requested.v1", {})
        self.emit("checkpoint.reached.v1", {"checkpoint": "moods", "plan": self.plan, "deadline": DEADLINE, "moods": [
            {"index": b, "name": f"look {b}", "style": {"palette": ["#112233", "#445566"], "mood": "calm"},
             "music": {"mood": "calm", "tempo_bpm": 90},
             "images": [{"image": {}, "url": f"http://s3.test/bucket/moods/{b}-{k}.png?sig=1"} for k in range(4)]}
            for b in (1, 2, 3)]})

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((len(self.events) + 1, kind, data))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if request.url.host == "s3.test":
            return httpx.Response(200, content=VIDEO if path.endswith(".mp4") else png())
        body = json.loads(request.content) if request.content else None
        if method in ("POST", "PATCH") and path != "/v1/generations":
            self.commands.append((method, path.removeprefix(f"/v1/generations/{GID}"), body))
            assert method == "PATCH" or request.headers["idempotency-key"].startswith("cli-")
        if path == "/v1/generations" and method == "POST":
            assert body["interactive"] is True and body["checkpoints"] == ["moods", "plan", "storyboard"]
            return httpx.Response(202, json={"id": GID, "status": "queued", "links": {}})
        if path.endswith("/events"):
            after = int(request.headers.get("last-event-id", 0))
            todo = [e for e in self.events if e[0] > after]
            return httpx.Response(200, content=sse(*todo), headers={"content-type": "text/event-stream"})
        if path.endswith("/approve"):
            return self.approve(body)
        if path.endswith("/plan"):
            for edit in body["beats"]:
                self.plan["beats"][edit["index"]].update({k: v for k, v in edit.items() if k != "index"})
            redo = {str(e["index"]): "caption" if "caption" in e else "video" for e in body["beats"]}
            return httpx.Response(200, json={"id": GID, "status": "awaiting_approval", "plan": self.plan,
                                             "plan_rev": 2, "redo": redo})
        if path.endswith("/feedback"):
            self.emit("feedback.interpreted.v1", {"feedback_id": "F1", "intent": {
                "kind": "regenerate", "understood": "Beat 1: warmer colours."}, "problems": []})
            return httpx.Response(202, json={"id": GID, "status": "awaiting_approval", "feedback_id": "F1"})
        if path.endswith("/feedback/F1/apply"):
            self.emit("beat.updated.v1", {"beat_index": 0, "state": "regenerating", "take": 1})
            self.emit("beat.updated.v1", {"beat_index": 0, "state": "frame_ready", "take": 1, "frame": frame(0, 1)})
            return httpx.Response(202, json={"id": GID, "status": "awaiting_approval", "beats": [0]})
        if "/beats/" in path and path.endswith("/regenerate"):
            beat = int(path.split("/")[-2])
            self.emit("beat.updated.v1", {"beat_index": beat, "state": "frame_ready", "take": 1,
                                          "frame": frame(beat, 1)})
            return httpx.Response(202, json={"id": GID, "status": "awaiting_approval", "beats": [beat]})
        if path.endswith("/video"):
            return httpx.Response(307, headers={"location": "http://s3.test/bucket/video.mp4?sig=1"})
        if path == f"/v1/generations/{GID}":
            return httpx.Response(200, json={"id": GID, "status": "awaiting_approval", "plan": self.plan,
                                             "beats": [{"index": 0, "take": 1}]})
        return httpx.Response(404, json={"title": "Not Found", "status": 404})

    def approve(self, body: dict[str, Any]) -> httpx.Response:
        checkpoint = body["checkpoint"]
        self.emit("checkpoint.approved.v1", {"checkpoint": checkpoint})
        if checkpoint == "moods":
            assert body["mood"] == 2
            self.emit("checkpoint.reached.v1", {"checkpoint": "plan", "plan": self.plan, "deadline": DEADLINE})
        elif checkpoint == "plan":
            self.emit("plan.completed.v1", {"plan": self.plan})
            for beat in range(3):
                self.emit("beat.updated.v1", {"beat_index": beat, "state": "frame_ready", "frame": frame(beat)})
            self.emit("checkpoint.reached.v1", {"checkpoint": "storyboard", "plan": self.plan, "deadline": DEADLINE,
                                                "frames": [frame(b) for b in range(3)]})
        else:
            for kind in ("storyboard.completed.v1", "chunks.completed.v1", "stitch.completed.v1",
                         "export.completed.v1"):
                self.emit(kind, {})
            self.emit("generation.completed.v1", {"duration_s": 15.0})
        return httpx.Response(202, json={"id": GID, "status": "queued", "checkpoint": None})


ANSWERS = [
    "a",                        # at moods, a board must be picked first
    "m 2",                      # pick mood 2 (and approve the moods)
    "c 2 Cold for 24 hours",    # plan: edit a caption
    "d 1 10 3",                 # a duration edit needs pairs
    "d 1 10 3 0",               # (the gateway's own validation is faked here)
    "x",                        # unknown command: help hint, asked again
    "a",                        # approve the plan
    "f make beat 1 warmer",     # storyboard: feedback …
    "y",                        # … understood as shown: apply it
    "r 2",                      # regenerate beat 2's frame
    "a",                        # approve the storyboard
]


def test_the_interactive_studio_is_driven_by_its_prompts(tmp_path: Path) -> None:
    gateway = Studio()
    frames = tmp_path / "frames"
    result = invoke_with_input(gateway, ["generate", "A brief", "--interactive", "--checkpoint", "moods",
                                         "--checkpoint", "plan", "--checkpoint", "storyboard", "--frames-dir",
                                         str(frames), "-o", str(tmp_path / "ad.mp4")], "\n".join(ANSWERS) + "\n")
    assert result.exit_code == 0, result.output
    assert [(m, p) for m, p, _ in gateway.commands] == [
        ("POST", "/approve"), ("PATCH", "/plan"), ("PATCH", "/plan"), ("POST", "/approve"),
        ("POST", "/feedback"), ("POST", "/feedback/F1/apply"), ("POST", "/beats/1/regenerate"), ("POST", "/approve")]
    bodies = [b for _, _, b in gateway.commands]
    assert bodies[0] == {"checkpoint": "moods", "mood": 2}
    assert bodies[1] == {"beats": [{"index": 1, "caption": "Cold for 24 hours"}]}
    assert bodies[2] == {"beats": [{"index": 0, "duration_s": 10}, {"index": 2, "duration_s": 0}]}
    assert bodies[4] == {"message": "make beat 1 warmer", "beat": None}
    assert bodies[6] == {"what": "frame"} and bodies[7] == {"checkpoint": "storyboard"}
    output = result.output
    assert "pick a mood board" in output and "unknown command" in output
    assert "understood: Beat 1: warmer colours." in output
    assert "Cold for 24 hours" in output  # the plan table after the edit
    # mood images and frames (first takes and the new ones) saved as small thumbnails, and their paths shown
    saved = sorted(p.name for p in frames.iterdir())
    assert {"mood-2-1.jpg", "beat-1-take-0.jpg", "beat-1-take-1.jpg", "beat-2-take-1.jpg"} <= set(saved)
    assert len([s for s in saved if s.startswith("mood-")]) == 12
    with Image.open(frames / "beat-2-take-1.jpg") as thumb:
        assert max(thumb.size) <= 256
    assert str(frames / "beat-2-take-1.jpg") in output.replace("\n", "")
    assert (tmp_path / "ad.mp4").read_bytes() == VIDEO


def test_q_stops_watching_and_leaves_the_generation_waiting(tmp_path: Path) -> None:
    result = invoke_with_input(Studio(), ["generate", "A brief", "--interactive", "--checkpoint", "moods",
                                          "--checkpoint", "plan", "--checkpoint", "storyboard", "--frames-dir",
                                          str(tmp_path / "f")], "q\n")
    assert result.exit_code == 0 and "waits for you" in result.output


def invoke_with_input(gateway: Any, args: list[str], answers: str) -> Any:
    from typer.testing import CliRunner

    from admint.cli.app import Context, app

    return CliRunner().invoke(app, ["--api-key", "admk_test", *args], input=answers,
                              obj=Context(transport=httpx.MockTransport(gateway)))


class Commands:
    """The non-interactive studio commands' gateway."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, body = request.url.path, json.loads(request.content) if request.content else None
        self.sent.append((request.method, path, body))
        if path.endswith("/approve"):
            return httpx.Response(202, json={"id": GID, "status": "awaiting_approval", "checkpoint": "storyboard"})
        if path.endswith("/plan"):
            return httpx.Response(422, json={"title": "The change does not fit the plan", "status": 422, "errors": [
                {"loc": ["body", "beats", 0, "duration_s"], "msg": "Beats last 5, 10 or 15 seconds."}]},
                                  headers={"content-type": "application/problem+json"})
        if path.endswith("/feedback") and request.method == "POST":
            return httpx.Response(202, json={"id": GID, "status": "completed", "feedback_id": "F9"})
        if path.endswith("/feedback/F9"):
            self.polls += 1
            state = "interpreting" if self.polls < 2 else "interpreted"
            return httpx.Response(200, json={"id": "F9", "state": state, "understood": "Beat 3: shorter.",
                                             "problems": []})
        if path.endswith("/feedback/F9/apply"):
            return httpx.Response(202, json={"id": GID, "status": "completed", "version": 2, "beats": [2]})
        if path.endswith("/versions"):
            return httpx.Response(200, json={"latest": 2, "rendering": None, "items": [
                {"number": 1, "state": "completed", "cost_usd": 0.1, "reason": ""},
                {"number": 2, "state": "completed", "base": 1, "reason": "beat 3: new frame and video",
                 "cost_usd": 0.02, "reused_windows": 3}]})
        if path.endswith("/regenerate"):
            return httpx.Response(202, json={"id": GID, "status": "completed", "version": 3, "beats": [2]})
        return httpx.Response(404, json={"title": "Not Found", "status": 404})


def test_the_studio_commands_speak_the_api() -> None:
    gateway = Commands()
    approved = invoke(gateway, ["approve", GID, "plan", "--json"])
    assert approved.exit_code == 0 and json.loads(approved.stdout)["checkpoint"] == "storyboard"
    refused = invoke(gateway, ["edit", GID, "--duration", "1=7"])
    assert refused.exit_code == 3 and "5, 10 or 15" in refused.output
    assert gateway.sent[-1][2] == {"beats": [{"index": 0, "duration_s": 7}]}
    assert invoke(gateway, ["edit", GID]).exit_code == 2
    told = invoke(gateway, ["feedback", GID, "shorter beat 3", "--apply"])
    assert told.exit_code == 0, told.output
    assert "understood: Beat 3: shorter." in told.output and "version 2" in told.output
    listed = invoke(gateway, ["versions", GID])
    assert "beat 3: new" in listed.output and "2 ★" in listed.output
    as_json = invoke(gateway, ["versions", GID, "--json"])
    assert json.loads(as_json.stdout)["latest"] == 2
    started = invoke(gateway, ["regenerate", GID, "3", "--what", "video", "--no-wait"])
    assert started.exit_code == 0 and "version 3" in started.output
    assert gateway.sent[-1] == ("POST", f"/v1/generations/{GID}/beats/2/regenerate", {"what": "video"})
    assert invoke(gateway, ["regenerate", GID, "0"]).exit_code == 2
