"""The typed generations repository against a real MongoDB-wire server."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from admint.contracts.common import CostEntry
from admint.core.docstore import GenerationRepository, now
from admint.core.document import ChunkEntry, FrameEntry
from admint.core.mongo import connect
from admint.core.settings import CoreSettings
from tests.support import builders

pytestmark = pytest.mark.integration
V1_SAMPLE = Path(__file__).parents[2] / "unit" / "core" / "samples" / "generation.v1.json"


async def test_status_moves_forward_only(docs: GenerationRepository, gid: str) -> None:
    assert await docs.create(builders.generation(gid, owner="o")) is True
    assert await docs.create(builders.generation(gid, owner="o")) is False
    assert await docs.enter(gid, "chunking")
    assert not await docs.store_plan(gid, builders.plan())  # planning is behind: a stale write is refused
    assert await docs.enter(gid, "chunking")  # the same status again: idempotent redelivery
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "chunking" and doc.plan is None
    assert await docs.fail(gid, "chunking", "boom", retryable=True)
    assert not await docs.enter(gid, "stitching")
    assert not await docs.fail(gid, "chunking", "second failure")
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "failed" and doc.error is not None and doc.error.reason == "boom"


async def test_fan_ins_record_and_count_in_one_update_and_costs_are_idempotent(
    docs: GenerationRepository, gid: str
) -> None:
    await docs.create(builders.generation(gid, owner="o"))
    frame = FrameEntry(image=builders.ref("f0.png", "image/png"), model="offline-image")
    assert (await docs.frame_done(gid, 0, frame))[0] == 1
    count, after = await docs.frame_done(gid, 1, frame)
    assert count == 2 and after.storyboard.done == [0, 1] and after.storyboard.frame(1) == frame
    assert after.spec == (await docs.spec(gid))
    assert (await docs.frame_done(gid, 1, frame))[0] == 2
    chunk = ChunkEntry(beat_index=0, chunk_index=1, chunk_count=2, video=builders.ref("c.mp4"),
                       last_frame=builders.ref("c.png", "image/png"), duration_s=5, requested_duration_s=5,
                       model="wan-i2v", cost_usd=0.45)
    count, doc = await docs.chunk_done(gid, chunk)
    assert count == 1 and doc.chunking.done == ["0-1"] and doc.chunking.chunks["0-1"] == chunk
    assert (await docs.chunk_done(gid, chunk))[0] == 1
    assert (await docs.spec(gid)) == doc.spec and await docs.spec("no-such-generation") is None
    entry = CostEntry(key="chunk:0-1", stage="chunking", model="wan-i2v", units=5, usd=0.45)
    await docs.record_cost(gid, entry)
    await docs.record_cost(gid, entry)
    doc = await docs.get(gid)
    assert doc is not None
    assert list(doc.costs) == ["chunk:0-1"] and doc.costs["chunk:0-1"].usd == 0.45 and doc.cost_total() == 0.45
    assert doc.storyboard.done == [0, 1] and doc.storyboard.frame(1) == frame
    assert doc.chunking.chunks == {"0-1": chunk} and doc.chunking.done == ["0-1"]


async def test_a_document_written_before_the_typed_model_still_reads(
    docs: GenerationRepository, gid: str
) -> None:
    raw = json.loads(V1_SAMPLE.read_text())
    raw["_id"] = gid
    await docs.collection.insert_one(raw)
    doc = await docs.get(gid)
    assert doc is not None and doc.version == 2 and doc.status == "completed"
    assert doc.storyboard.frame(0) is not None and doc.storyboard.frame(0).model == "offline-image"
    assert doc.chunking.chunks["0-0"].video.key.endswith("chunks/0-0.mp4")
    assert doc.exports is not None and doc.exports.passed and "9x16" in doc.exports.spec_checks
    assert doc.request.idempotency_key == "order-42"
    assert await docs.enter(gid, "completed")  # and the old document takes typed writes


async def test_document_survives_mongo_wire_restart(stack, bootstrapped: CoreSettings, gid: str) -> None:
    client = connect(bootstrapped.mongo_url)
    repo = GenerationRepository(client[bootstrapped.mongo_db])
    await repo.create(builders.generation(gid, owner="survivor"))
    await client.close()
    seconds = stack.restart("mongo")
    client = connect(bootstrapped.mongo_url)
    try:
        doc = await GenerationRepository(client[bootstrapped.mongo_db]).get(gid)
        assert doc is not None and doc.owner == "survivor"
    finally:
        await client.close()
    assert seconds < 60


async def test_stage_clock_starts_once_and_finds_stuck_generations(docs: GenerationRepository, gid: str) -> None:
    await docs.create(builders.generation(gid, owner="o"))
    assert await docs.enter(gid, "chunking")
    first = (await docs.get(gid)).timeline["chunking"]  # type: ignore[union-attr]
    assert await docs.enter(gid, "chunking")
    assert (await docs.get(gid)).timeline["chunking"] == first  # type: ignore[union-attr]
    assert gid in await docs.stuck("chunking", now() + timedelta(seconds=1))


async def test_acknowledged_writes_survive_a_kill_9_right_after(stack, bootstrapped: CoreSettings, gid: str) -> None:
    """Issue 17: writes acknowledged ~0.2 s before a kill -9 were lost, and a fan-in never reached its count.
    Journaled writes (the app) on a server that syncs every commit (the local stack) make acknowledged durable."""
    client = connect(bootstrapped.mongo_url)
    repo = GenerationRepository(client[bootstrapped.mongo_db])
    await repo.create(builders.generation(gid, owner="durable"))
    frame = FrameEntry(image=builders.ref("f.png", "image/png"), model="offline-image")
    counts = [(await repo.frame_done(gid, beat, frame))[0] for beat in range(25)]
    await client.close()
    assert counts[-1] == 25
    stack.restart("mongo", hard=True)  # SIGKILL at once: no time to flush anything not already synced
    client = connect(bootstrapped.mongo_url)
    try:
        doc = await GenerationRepository(client[bootstrapped.mongo_db]).get(gid)
        assert doc is not None and sorted(doc.storyboard.done) == list(range(25))
        assert len(doc.storyboard.frames) == 25
    finally:
        await client.close()


async def test_takes_and_scores_are_recorded_per_video_and_a_completed_generation_still_takes_scores(
    docs: GenerationRepository, gid: str
) -> None:
    from admint.core.document import ScoreEntry

    await docs.create(builders.generation(gid, owner="o"))
    take = ChunkEntry(beat_index=1, chunk_index=0, chunk_count=1, video=builders.ref("c1.mp4"),
                      last_frame=builders.ref("c1.png", "image/png"), duration_s=5, requested_duration_s=5,
                      model="offline-video", take=1)
    await docs.record_take(gid, take)
    score = ScoreEntry(video=take.video, scores=builders.quality_scores(41.5), scored_at=now())
    await docs.record_score(gid, "chunk", "1-0", 1, score)
    await docs.enter(gid, "completed")
    await docs.record_score(gid, "master", "master", 0, score)
    await docs.record_score(gid, "rendition", "1x1", 0, ScoreEntry(video=take.video, error="no frames"))
    doc = await docs.get(gid)
    assert doc is not None and doc.chunking.take("1-0", 1) == take and doc.chunking.chunks == {}
    assert doc.quality.entry("chunk", "1-0", 1) == score and doc.quality.entry("chunk", "1-0", 0) is None
    assert doc.quality.master == score and doc.quality.entry("rendition", "1x1").error == "no frames"
    assert doc.unscored() == []
