"""Brief in, ad out, watched live: POST a brief, follow SSE to the end, resume mid-stream, check the MP4."""

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from admint.devstack.processes import DevStack
from tests.support.sse import read_events

pytestmark = pytest.mark.e2e

STAGE_ORDER = [
    "generation.requested.v1", "plan.completed.v1", "storyboard.completed.v1", "chunks.completed.v1",
    "stitch.completed.v1", "export.completed.v1", "generation.completed.v1",
]


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
                         capture_output=True, check=True).stdout
    return json.loads(out)


def _metric(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def test_brief_to_ad_with_live_feed_and_resume(api: httpx.Client, system: DevStack, out_dir: Path) -> None:
    created = api.post("/v1/generations", json={
        "brief": "15-second ad for an eco-friendly water bottle, calm, premium", "duration_s": 15,
        "aspect": "9:16", "renditions": ["1:1"], "seed": 3,
    })
    assert created.status_code == 202, created.text
    gen = created.json()
    events_url = gen["links"]["events"]

    events = read_events(api, events_url)
    types = [e.event for e in events]
    end = types.index("generation.completed.v1")
    assert set(types[end + 1:]) <= {"quality.scored.v1"}, types  # the scores that arrive after the end
    assert {(e.data["kind"], e.data["item"]) for e in events if e.event == "quality.scored.v1"} >= {
        ("master", "master"), ("rendition", "1x1")}
    milestones = [t for t in types if t in STAGE_ORDER]
    assert milestones == STAGE_ORDER, milestones
    assert types.count("frame.completed.v1") == 3
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(e.data["generation_id"] == gen["id"] and e.data["type"] == e.event for e in events)

    # a client that dropped after storyboard.completed resumes with Last-Event-ID and misses nothing
    cut = types.index("storyboard.completed.v1")
    resumed = read_events(api, events_url, last_event_id=events[cut].id)
    assert [e.id for e in resumed] == ids[cut + 1:]
    assert [e.event for e in resumed] == types[cut + 1:]

    status = api.get(f"/v1/generations/{gen['id']}").json()
    assert status["status"] == "completed"

    # every stage's duration is measured by the service that completes it
    for stage, services in (("planning", ["planner-0"]), ("chunking", ["chunker-0", "chunker-1"]),
                            ("exporting", ["exporter-0"])):
        count = sum(_metric(system.services[s].metrics(), f'admint_stage_seconds_count{{stage="{stage}"}}')
                    for s in services)
        assert count >= 1, stage

    for rendition, (width, height) in (("9:16", (180, 320)), ("1:1", (180, 180))):
        redirect = api.get(gen["links"]["video"], params={"rendition": rendition}, follow_redirects=False)
        assert redirect.status_code == 307, redirect.text
        video = out_dir / f"{rendition.replace(':', 'x')}.mp4"
        video.write_bytes(httpx.get(redirect.headers["location"], timeout=30).content)
        info = ffprobe(video)
        v = next(s for s in info["streams"] if s["codec_type"] == "video")
        a = [s for s in info["streams"] if s["codec_type"] == "audio"]
        assert (v["width"], v["height"]) == (width, height)
        assert v["codec_name"] == "h264" and v["pix_fmt"] == "yuv420p"
        assert abs(float(info["format"]["duration"]) - 15.0) <= 1 / 30 + 0.03
        assert a and a[0]["codec_name"] == "aac"
