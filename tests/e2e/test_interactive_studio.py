"""The interactive studio end to end, through REST and SSE only (every service a process, offline providers):

all three checkpoints → pick mood 2 → edit a caption and a duration → approve the plan → feedback "make beat 1
warmer" (the interpretation first, then the changed frame) → apply → regenerate beat 2's frame → approve →
completed; then regenerate beat 3 after completion → version 2, whose frames outside beat 3 and its two transition
windows are the first version's exactly (framemd5) and whose music bed is the same, packet for packet.
"""

import hashlib
import io
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from admint.devstack.processes import DevStack
from tests.e2e.conftest import API_KEY

pytestmark = pytest.mark.e2e
BRIEF = "A 30 second ad for a reusable steel water bottle that keeps drinks cold for 24 hours, for hikers."
FPS, GOP, OVERLAP = 30, 15, 15
Event = dict[str, Any]


class Feed:
    """One SSE connection read in the background for the whole session (it stays open at checkpoints)."""

    def __init__(self, system: DevStack, generation_id: str) -> None:
        self.url = f"{system.api_url}/v1/generations/{generation_id}/events"
        self.events: list[Event] = []
        self.last = 0
        self.ended = threading.Event()
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.ended.is_set():
            headers = {"Authorization": f"Bearer {API_KEY}", "Last-Event-ID": str(self.last)}
            try:
                with httpx.stream("GET", self.url, headers=headers, timeout=httpx.Timeout(600, connect=10)) as r:
                    fields: dict[str, str] = {}
                    for line in r.iter_lines():
                        if line == "" and "data" in fields:
                            event = {"seq": int(fields["id"]), "type": fields["event"], **json.loads(fields["data"])}
                            with self.lock:
                                self.events.append(event)
                                self.last = event["seq"]
                                self.lock.notify_all()
                            fields = {}
                        elif line and not line.startswith(":"):
                            name, _, value = line.partition(":")
                            fields[name] = value.removeprefix(" ")
                    return  # the server ended the feed
            except httpx.HTTPError:
                time.sleep(0.5)

    def wait_for(self, predicate: Callable[[Event], bool], timeout_s: float = 240) -> Event:
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while True:
                found = next((e for e in self.events if predicate(e)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such event in {timeout_s}s; got {[e['type'] for e in self.events]}")
                self.lock.wait(min(left, 1.0))

    def index(self, event: Event) -> int:
        return self.events.index(event)


def post(api: httpx.Client, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    response = api.post(path, json=body, headers=headers)
    assert response.status_code == 202, response.text
    return dict(response.json())


def image(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(httpx.get(url, timeout=30).content)).convert("RGB"), dtype=np.float32)


ARTIFACTS = Path(os.environ.get("ADMINT_TEST_ARTIFACTS", Path(__file__).parents[2] / "out" / "test-artifacts"))


def keep(name: str, *urls_or_arrays: "str | np.ndarray") -> None:
    """A contact sheet (side by side) of images, as a test artifact to look at."""
    tiles = [Image.fromarray(image(u).astype(np.uint8)) if isinstance(u, str) else Image.fromarray(u)
             for u in urls_or_arrays]
    sheet = Image.new("RGB", (sum(t.width for t in tiles) + 4 * len(tiles), max(t.height for t in tiles)), "white")
    x = 0
    for tile in tiles:
        sheet.paste(tile, (x, 0))
        x += tile.width + 4
    (ARTIFACTS / "interactive").mkdir(parents=True, exist_ok=True)
    sheet.save(ARTIFACTS / "interactive" / f"{name}.png")


def frame_at(path: Path, second: float) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(second), "-i", str(path), "-frames:v", "1", "-f",
                          "image2pipe", "-vcodec", "png", "-"], check=True, capture_output=True).stdout
    return np.asarray(Image.open(io.BytesIO(out)).convert("RGB"))


def warmth(pixels: np.ndarray) -> float:
    """Mean red minus blue: a warmer grade raises it."""
    return float((pixels[..., 0] - pixels[..., 2]).mean())


def download(api: httpx.Client, gid: str, out: Path, **params: object) -> Path:
    redirect = api.get(f"/v1/generations/{gid}/video", params=params, follow_redirects=False)
    assert redirect.status_code == 307, redirect.text
    out.write_bytes(httpx.get(redirect.headers["location"], timeout=60).content)
    return out


def framemd5(path: Path) -> list[str]:
    """One checksum per decoded video frame (ffmpeg's framemd5 muxer)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-f", "framemd5", "-"],
                         capture_output=True, check=True, text=True).stdout
    return [line.rsplit(",", 1)[-1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def audio_md5(path: Path) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"],
                          capture_output=True, check=True, text=True).stdout.strip()


def test_interactive_generation_with_every_checkpoint_then_a_second_version(
        api: httpx.Client, system: DevStack, out_dir: Path) -> None:
    created = api.post("/v1/generations", json={
        "brief": BRIEF, "duration_s": 25, "seed": 1, "interactive": True,
        "checkpoints": ["moods", "plan", "storyboard"]})
    assert created.status_code == 202, created.text
    gid = created.json()["id"]
    feed = Feed(system, gid)
    root = f"/v1/generations/{gid}"

    # ------------------------------------------------------------------------------------------------ moods
    moods = feed.wait_for(lambda e: e["type"] == "checkpoint.reached.v1" and e["checkpoint"] == "moods")
    boards = moods["moods"]
    assert [b["index"] for b in boards] == [1, 2, 3] and all(len(b["images"]) == 4 for b in boards)
    looks = [image(b["images"][0]["url"]) for b in boards]
    assert looks[1].shape == (160, 90, 3)  # previews at half the frame size
    assert warmth(looks[1]) > warmth(looks[0])  # board 2 is the warm one
    view = api.get(root).json()
    assert view["status"] == "awaiting_approval" and view["studio"]["checkpoint"] == "moods"
    chosen = boards[1]
    for board_ in boards:
        keep(f"mood-board-{board_['index']}", *(i["url"] for i in board_["images"]))
    post(api, f"{root}/approve", {"checkpoint": "moods", "mood": 2}, key=f"{gid}-moods")

    # ------------------------------------------------------------------------------------------------- plan
    planned = feed.wait_for(lambda e: e["type"] == "checkpoint.reached.v1" and e["checkpoint"] == "plan")
    plan = planned["plan"]
    assert plan["style"] == chosen["style"] and plan["music"] == chosen["music"]  # the mood drives the ad
    durations = [b["duration_s"] for b in plan["beats"]]
    assert durations == [5, 5, 5, 10], durations  # (the offline planner's plan of this brief and seed)
    refused = api.patch(f"{root}/plan", json={"beats": [{"index": 2, "duration_s": 10}]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["type"] == "duration_total"
    edited = api.patch(f"{root}/plan", json={"beats": [
        {"index": 1, "caption": "Cold for 24 hours"}, {"index": 2, "duration_s": 10}, {"index": 3, "duration_s": 5}]})
    assert edited.status_code == 200, edited.text
    plan = edited.json()["plan"]
    assert [b["duration_s"] for b in plan["beats"]] == [5, 5, 10, 5] and plan["beats"][1]["caption"] == \
        "Cold for 24 hours"
    post(api, f"{root}/approve", {"checkpoint": "plan"})

    # ------------------------------------------------------------------------------------------- storyboard
    board = feed.wait_for(lambda e: e["type"] == "checkpoint.reached.v1" and e["checkpoint"] == "storyboard")
    first = {f["beat_index"]: f for f in board["frames"]}
    assert sorted(first) == [0, 1, 2, 3]
    given = post(api, f"{root}/feedback", {"message": "make beat 1 warmer"})
    interpreted = feed.wait_for(lambda e: e["type"] == "feedback.interpreted.v1"
                                and e["feedback_id"] == given["feedback_id"])
    assert "warm" in interpreted["intent"]["understood"].lower() and not interpreted["applied"]
    entry = api.get(f"{root}/feedback/{given['feedback_id']}").json()
    assert entry["state"] == "interpreted" and entry["understood"] == interpreted["intent"]["understood"]
    assert api.get(root).json()["beats"][0]["take"] == 0  # nothing changed before it is applied
    applied = post(api, f"{root}/feedback/{given['feedback_id']}/apply")
    assert applied["beats"] == [0]
    warmer = feed.wait_for(lambda e: e["type"] == "beat.updated.v1" and e["beat_index"] == 0
                           and e["state"] == "frame_ready" and e["take"] == 1)
    assert feed.index(interpreted) < feed.index(warmer)  # the interpretation was shown before the new frame
    before, after = image(first[0]["url"]), image(warmer["frame"]["url"])
    assert warmth(after) > warmth(before) + 2, (warmth(before), warmth(after))
    keep("beat-1-before-and-after-warmer", first[0]["url"], warmer["frame"]["url"])
    again = post(api, f"{root}/beats/1/regenerate", {"what": "frame"})
    assert again["beats"] == [1]
    busy = api.post(f"{root}/beats/1/regenerate", json={"what": "frame"})
    assert busy.status_code in (202, 409)  # 409 while the take renders (202 only if it was already done)
    retaken = feed.wait_for(lambda e: e["type"] == "beat.updated.v1" and e["beat_index"] == 1
                            and e["state"] == "frame_ready" and e["take"] >= 1)
    assert httpx.get(retaken["frame"]["url"]).content != httpx.get(first[1]["url"]).content
    keep("beat-2-first-take-and-regenerated", first[1]["url"], retaken["frame"]["url"])
    post(api, f"{root}/approve", {"checkpoint": "storyboard"})
    done = feed.wait_for(lambda e: e["type"] in ("generation.completed.v1", "generation.failed.v1"), 400)
    assert done["type"] == "generation.completed.v1", done
    view = api.get(root).json()
    assert view["status"] == "completed" and {c["state"] for c in view["beats"]} == {"video_ready"}
    assert [b["duration_s"] for b in view["plan"]["beats"]] == [5, 5, 10, 5]
    v1 = download(api, gid, out_dir / "v1.mp4")

    # ------------------------------------------------------------------------------------------- version 2
    started = time.monotonic()
    revision = post(api, f"{root}/beats/2/regenerate", {"what": "frame"})
    assert revision["version"] == 2 and revision["beats"] == [2]
    ended = feed_after(system, gid, done["seq"]).wait_for(
        lambda e: e["type"] in ("version.completed.v1", "version.failed.v1"), 300)
    assert ended["type"] == "version.completed.v1" and ended["ad_version"] == 2, ended
    print(f"\nversion 2 took {time.monotonic() - started:.1f}s")
    versions = api.get(f"{root}/versions").json()
    assert versions["latest"] == 2 and [v["state"] for v in versions["items"]] == ["completed", "completed"]
    assert versions["items"][1]["reused_windows"] >= 1 and versions["items"][1]["beats"][0]["index"] == 2
    v2 = download(api, gid, out_dir / "v2.mp4")  # the newest by default
    assert download(api, gid, out_dir / "v1-again.mp4", version=1).read_bytes() == v1.read_bytes()

    keep("v1-and-v2-at-4s-12s-22s", *(frame_at(v, t) for t in (4, 12, 22) for v in (v1, v2)))
    a, b = framemd5(v1), framemd5(v2)
    assert len(a) == len(b) == 25 * FPS
    beat3 = (10 * FPS, 20 * FPS)  # beats 1 and 2 last 5 s each; beat 3 lasts 10 s
    window_in = beat3[0] - OVERLAP - GOP  # the crossfade into beat 3 re-encodes from a keyframe before it
    window_out = beat3[1] + GOP  # the one out of it ends at beat 4's first keyframe after the fade
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    assert differ, "beat 3 was rendered again"
    assert window_in <= differ[0] and differ[-1] < window_out, (differ[0], differ[-1])
    same_outside = [i for i in range(len(a)) if not window_in <= i < window_out]
    assert all(a[i] == b[i] for i in same_outside)
    assert sum(a[i] != b[i] for i in range(*beat3)) > 0.9 * (beat3[1] - beat3[0])
    assert audio_md5(v1) == audio_md5(v2)  # the same music bed
    assert hashlib.sha256(v1.read_bytes()).hexdigest() != hashlib.sha256(v2.read_bytes()).hexdigest()
    feed.ended.set()


def feed_after(system: DevStack, gid: str, seq: int) -> Feed:
    """A second client following the new version from where the first one's feed ended."""
    feed = Feed.__new__(Feed)
    feed.url = f"{system.api_url}/v1/generations/{gid}/events"
    feed.events, feed.last = [], seq
    feed.ended, feed.lock = threading.Event(), threading.Condition()
    feed.thread = threading.Thread(target=feed._read, daemon=True)
    feed.thread.start()
    return feed
