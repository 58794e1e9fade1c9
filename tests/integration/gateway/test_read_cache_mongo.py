"""The read cache against the real Mongo-wire server: reads come from memory while nothing changed, and a write
that finished before a read began is always in what the read returns (whoever wrote it, however fast the read)."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from admint.core.docstore import GenerationRepository
from admint.core.mongo import connect
from admint.core.settings import CoreSettings
from admint.gateway.read_cache import CACHE_READS, ClusterClock, ReadCache
from admint.gateway.stores import GenerationQueries
from tests.support import builders

pytestmark = pytest.mark.integration


def memory_answers(kind: str) -> float:
    return CACHE_READS.labels(kind, "memory")._value.get()


@pytest.fixture
async def cached(bootstrapped: CoreSettings) -> AsyncIterator[GenerationQueries]:
    client = connect(bootstrapped.mongo_url)
    db = client[bootstrapped.mongo_db]
    reads = ReadCache(ClusterClock(db))
    feed = reads.follow(db, "generations")
    for _ in range(200):  # the change stream is open
        if feed.seen is not None:
            break
        await asyncio.sleep(0.01)
    yield GenerationQueries(db, reads)
    await feed.close()
    await client.close()


async def test_unchanged_generations_come_from_memory(cached: GenerationQueries, docs: GenerationRepository,
                                                      gid: str) -> None:
    await docs.create(builders.generation(gid, owner="o"))
    before = memory_answers("document"), memory_answers("page")
    for _ in range(20):
        doc = await cached.get_owned(gid, "o")
        assert doc is not None and doc.id == gid
        assert gid in [g.id for g in await cached.page("o", limit=100)]
    after = memory_answers("document"), memory_answers("page")
    # writes of other tests' generations may send a few reads to the database; most must come from memory
    assert after[0] - before[0] >= 10 and after[1] - before[1] >= 5
    assert await cached.get_owned(gid, "someone-else") is None


async def test_every_read_sees_the_writes_that_finished_before_it(cached: GenerationQueries,
                                                                  docs: GenerationRepository, gid: str) -> None:
    """Another client (as a service would) writes, and the read goes out the moment the write is acknowledged:
    100 times over, the read must never return the state before the write."""
    await docs.create(builders.generation(gid, owner="o"))
    for i in range(100):
        await cached.get_owned(gid, "o")  # cached now (or about to be)
        await docs.collection.update_one({"_id": gid}, {"$set": {"attempt": i + 2}})
        doc = await cached.get_owned(gid, "o")
        assert doc is not None and doc.attempt == i + 2, f"write {i} was not seen"
        listed = await cached.page("o", status=doc.status, limit=100)
        assert gid in [g.id for g in listed]


async def test_a_deleted_generation_is_gone_at_once(cached: GenerationQueries, docs: GenerationRepository,
                                                    gid: str) -> None:
    await docs.create(builders.generation(gid, owner="o"))
    assert await cached.get_owned(gid, "o") is not None
    assert await cached.get_owned(gid, "o") is not None
    await docs.collection.delete_one({"_id": gid})
    assert await cached.get_owned(gid, "o") is None
    assert gid not in [g.id for g in await cached.page("o", limit=100)]


async def test_the_feed_catches_up_with_a_clock_that_moved_without_a_change(bootstrapped: CoreSettings) -> None:
    """The server mints a cluster time for every driver's `hello` (a new connection, a monitor's heartbeat) with
    nothing for the change stream to report: a reader asks for a look instead of waiting for the long poll."""
    client = connect(bootstrapped.mongo_url)
    db = client[bootstrapped.mongo_db]
    reads = ReadCache(ClusterClock(db))
    feed = reads.follow(db, "generations")
    feed.max_await_ms = 60_000  # the long poll would not return within the test
    try:
        for _ in range(200):
            if feed.seen is not None:
                break
            await asyncio.sleep(0.01)
        newcomer = connect(bootstrapped.mongo_url)
        await newcomer.admin.command("ping")  # its handshake: a hello
        await newcomer.close()
        now = await ClusterClock(db).now()
        assert now is not None and feed.seen is not None and feed.seen < now
        assert await feed.reached(now, 5.0)
    finally:
        await feed.close()
        await client.close()
