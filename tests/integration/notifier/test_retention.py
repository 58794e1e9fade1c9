"""The retention sweep on the real stack: intermediates first, finished videos later, one replica per item."""

import asyncio
from datetime import timedelta

import pytest

from admint.contracts.envelope import utcnow
from admint.contracts.generation import GenerationSpec
from admint.contracts.ids import new_id
from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.docstore import GenerationRepository
from admint.core.document import GenerationDoc
from admint.notifier.retention import RetentionPolicy, sweep_once

pytestmark = pytest.mark.integration


async def ended_generation(docs: GenerationRepository, blobs: BlobStore, hours_ago: float,
                           status: str = "completed") -> tuple[str, list[str], list[str]]:
    gid, stamp = new_id(), utcnow()
    spec = GenerationSpec(brief="retention", duration_s=15, size={"width": 180, "height": 320})
    await docs.create(GenerationDoc(_id=gid, owner="retention", created_at=stamp, updated_at=stamp, spec=spec))
    await docs.enter(gid, status)
    await docs.collection.update_one({"_id": gid}, {"$set": {f"timeline.{status}": stamp - timedelta(hours=hours_ago)}})
    work = [keys.storyboard_key(gid, 0), keys.chunk_key(gid, 0, 0), keys.last_frame_key(gid, 0, 0),
            keys.music_key(gid)]
    finished = [keys.master_key(gid), keys.export_key(gid, "1:1"), keys.poster_key(gid)]
    for key in work + finished:
        await blobs.put_bytes(key, b"x", "application/octet-stream")
    return gid, work, finished


async def test_intermediates_go_after_n_hours_and_videos_after_m_days(docs: GenerationRepository,
                                                                      blobs: BlobStore) -> None:
    old, old_work, old_videos = await ended_generation(docs, blobs, hours_ago=30)
    ancient, _, _ = await ended_generation(docs, blobs, hours_ago=24 * 8, status="failed")
    fresh, fresh_work, fresh_videos = await ended_generation(docs, blobs, hours_ago=1)
    policy = RetentionPolicy(intermediates_h=24, videos_days=7, interval_s=60)

    await sweep_once(docs, blobs, policy)
    assert await blobs.list_keys(keys.generation_prefix(old)) == sorted(old_videos)
    assert await blobs.list_keys(keys.generation_prefix(ancient)) == []
    assert await blobs.list_keys(keys.generation_prefix(fresh)) == sorted(fresh_work + fresh_videos)
    doc = await docs.get(old)
    assert doc is not None and doc.retention.intermediates_deleted_at is not None
    assert doc.retention.videos_deleted_at is None and doc.retention.objects_deleted == len(old_work)

    # a second pass leaves them as they are (their intermediates are marked removed)
    await sweep_once(docs, blobs, policy)
    assert await blobs.list_keys(keys.generation_prefix(old)) == sorted(old_videos)
    again = await docs.get(old)
    assert again is not None and again.retention.objects_deleted == len(old_work)


async def test_off_keeps_everything(docs: GenerationRepository, blobs: BlobStore) -> None:
    gid, work, videos = await ended_generation(docs, blobs, hours_ago=24 * 400)
    await sweep_once(docs, blobs, RetentionPolicy(intermediates_h=None, videos_days=None, interval_s=60))
    assert await blobs.list_keys(keys.generation_prefix(gid)) == sorted(work + videos)


async def test_replicas_sweeping_at_once_each_claim_different_generations(docs: GenerationRepository,
                                                                          blobs: BlobStore) -> None:
    made = [await ended_generation(docs, blobs, hours_ago=48) for _ in range(4)]
    policy = RetentionPolicy(intermediates_h=24, videos_days=None, interval_s=60)
    results = await asyncio.gather(*(sweep_once(docs, blobs, policy) for _ in range(3)))
    for gid, _, videos in made:
        assert await blobs.list_keys(keys.generation_prefix(gid)) == sorted(videos)
        doc = await docs.get(gid)
        assert doc is not None and doc.retention.objects_deleted == 4  # counted once: one replica claimed it
    assert sum(r.get("intermediates", 0) for r in results) >= 4 * 4
