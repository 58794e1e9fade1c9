"""`admint generate` against the real gateway, with a stand-in pipeline publishing contract events on the bus."""

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admint.cli.app import app
from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import ChunkCompleted, ChunkRef, ChunksCompleted
from admint.contracts.generation import GenerationCompleted, RenditionSummary, StageProgress
from admint.contracts.plan import Beat, MusicSpec, Plan, Style
from admint.contracts.stitch import StitchCompleted
from admint.contracts.storyboard import FrameCompleted, FrameRef, PlanCompleted, StoryboardCompleted
from admint.core.keys import export_key
from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


def plan_of(duration: int) -> Plan:
    beats = [Beat(index=i, beat_id="b", role="attention", start_s=i * 5.0, duration_s=5, shot_type="medium",
                  camera_movement="static", action="a", prompt="p") for i in range(duration // 5)]
    return Plan(archetype="hero_showcase", framework="AIDA", duration_s=duration, beats=beats,
                style=Style(palette=["#112233", "#445566"]), music=MusicSpec(mood="calm", tempo_bpm=90),
                call_to_action="Buy now", planner_model="offline-planner")


async def stand_in_pipeline(gateway: RunningGateway, owner: str) -> str:
    """Wait for the CLI's generation, then publish what the real services would, and store a 'video'."""
    state = gateway.state
    for _ in range(200):
        if listed := await state.generations.page(owner, limit=1):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the CLI never created a generation")
    gid = listed[0].id
    for _ in range(200):  # listed once written; its request is published right after its admission
        doc = await state.docs.get(gid)
        if doc is not None and doc.request.published_at is not None:
            break
        await asyncio.sleep(0.05)
    assert doc is not None and doc.request.published_at is not None
    spec = doc.spec
    plan = plan_of(spec.duration_s)
    art = ArtifactRef(bucket="admint", key=export_key(gid, spec.aspect), sha256="0" * 64, size=len(VIDEO),
                      content_type="video/mp4")
    publish = state.publisher.publish
    await publish(PlanCompleted(generation_id=gid, producer="planner", spec=spec, plan=plan))
    for i in range(len(plan.beats)):
        await publish(FrameCompleted(generation_id=gid, producer="storyboard", beat_index=i,
                                     beat_count=len(plan.beats), image=art, model="offline"))
    await publish(StoryboardCompleted(generation_id=gid, producer="storyboard", spec=spec, plan=plan,
                                      frames=[FrameRef(beat_index=i, image=art) for i in range(len(plan.beats))]))
    for i in range(len(plan.beats)):
        await publish(ChunkCompleted(generation_id=gid, producer="chunker", beat_index=i, chunk_index=0,
                                     chunk_count=1, video=art, last_frame=art, requested_duration_s=5,
                                     actual_duration_s=5, model="offline"))
        await publish(StageProgress(generation_id=gid, producer="chunker", stage="chunking", done=i + 1,
                                    total=len(plan.beats), item=f"{i}-0"))
    await publish(ChunksCompleted(generation_id=gid, producer="chunker", spec=spec, plan=plan,
                                  chunks=[ChunkRef(beat_index=i, chunk_index=0, video=art, duration_s=5)
                                          for i in range(len(plan.beats))]))
    await publish(StitchCompleted(generation_id=gid, producer="stitcher", spec=spec, master=art,
                                  duration_s=float(spec.duration_s), has_audio=True))
    await state.blobs.put_bytes(art.key, VIDEO, "video/mp4")
    assert await state.docs.complete(gid, 0.0)
    await publish(GenerationCompleted(generation_id=gid, producer="exporter", master=art, duration_s=15.0,
                                      renditions=[RenditionSummary(aspect=spec.aspect, video=art)]))
    return str(gid)


async def test_generate_watches_the_feed_and_downloads(gateway: RunningGateway, tmp_path: Path) -> None:
    owner = f"cli-{tmp_path.name[-8:].lower().replace('_', '-')}"
    key = await gateway.new_key(owner)
    target = tmp_path / "out" / "ad.mp4"
    env = {"ADMINT_API_URL": gateway.url, "ADMINT_API_KEY": key}
    args = ["generate", "An ad for a solar lantern, for campers.", "--duration", "15", "--json", "-o", str(target)]
    cli = asyncio.create_task(asyncio.to_thread(CliRunner().invoke, app, args, env=env))
    gid = await stand_in_pipeline(gateway, owner)
    result = await asyncio.wait_for(cli, timeout=60)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    types = [line["type"] for line in lines]
    assert types[0] == "generation.requested.v1" and types[-2] == "generation.completed.v1"
    assert types.index("plan.completed.v1") < types.index("storyboard.completed.v1") < types.index(
        "chunks.completed.v1") < types.index("stitch.completed.v1")
    assert lines[-1] == {"type": "admint.cli.result", "generation_id": gid, "outcome": "completed",
                         "path": str(target.resolve())}
    assert target.read_bytes() == VIDEO

    status = await asyncio.to_thread(CliRunner().invoke, app, ["status", gid], env=env)
    assert status.exit_code == 0 and "completed" in status.stdout
    listed = await asyncio.to_thread(CliRunner().invoke, app, ["list", "--json"], env=env)
    assert [item["id"] for item in json.loads(listed.stdout)["items"]] == [gid]
