"""The gateway's read cache answers from memory only when nothing it holds can be stale (fakes of the clock and the
change feed; tests/integration/gateway/test_read_cache_mongo.py runs the real ones against the Mongo-wire server)."""

import asyncio
from typing import Any, cast

import pytest
from bson import Timestamp

from admint.gateway.read_cache import FRESH, BuiltViews, ChangeFeed, ClusterClock, ReadCache

pytestmark = pytest.mark.unit


class FakeClock:
    """The database's cluster time, as the test sets it."""

    def __init__(self) -> None:
        self.time = Timestamp(100, 1)

    async def now(self) -> Timestamp:
        return self.time


class FakeFeed:
    """A change feed that has seen up to `seen`, and never catches up on its own."""

    def __init__(self) -> None:
        self.seen: Timestamp | None = Timestamp(100, 1)

    async def reached(self, until: Timestamp, within_s: float) -> bool:
        return self.seen is not None and until <= self.seen


class Loader:
    """A database read that counts its calls, and can run something while it is on its way."""

    def __init__(self, value: Any, during: Any = None) -> None:
        self.value, self.during, self.calls = value, during, 0

    async def __call__(self) -> Any:
        self.calls += 1
        if self.during is not None:
            self.during()
        return self.value


def cache(entries: int = 16, changes_kept: int = 1000) -> tuple[ReadCache, FakeClock, FakeFeed]:
    clock, feed = FakeClock(), FakeFeed()
    reads = ReadCache(cast(ClusterClock, clock), entries, changes_kept)
    reads.feed = cast(ChangeFeed, feed)
    return reads, clock, feed


async def test_a_document_is_read_once_while_the_feed_has_seen_every_change() -> None:
    reads, _, _ = cache()
    load = Loader({"_id": "g1", "status": "chunking"})
    first = await reads.document("g1", load)
    again = await reads.document("g1", load)
    assert load.calls == 1 and again is first


async def test_a_write_the_feed_has_not_seen_yet_sends_the_read_to_the_database() -> None:
    reads, clock, _ = cache()
    load = Loader({"_id": "g1"})
    await reads.document("g1", load)
    clock.time = Timestamp(100, 2)  # someone wrote; its change is not reported yet
    await reads.document("g1", load)
    await reads.document("g1", load)
    assert load.calls == 3


async def test_a_change_evicts_the_document_and_every_list_page() -> None:
    reads, _, _ = cache()
    doc, page = Loader({"_id": "g1"}), Loader([{"_id": "g1"}])
    await reads.document("g1", doc)
    await reads.page(("o", None), page)
    reads.changed("g2")  # another generation: the page may list it, the document is not touched
    await reads.document("g1", doc)
    await reads.page(("o", None), page)
    assert (doc.calls, page.calls) == (1, 2)
    reads.changed("g1")
    await reads.document("g1", doc)
    assert doc.calls == 2


async def test_a_read_that_overlapped_a_change_is_not_kept() -> None:
    reads, _, _ = cache()
    racing = Loader({"_id": "g1", "status": "old"}, during=lambda: reads.changed("g1"))
    await reads.document("g1", racing)
    fresh = Loader({"_id": "g1", "status": "new"})
    assert await reads.document("g1", fresh) == {"_id": "g1", "status": "new"} and fresh.calls == 1

    racing_page = Loader([{"_id": "g1"}], during=lambda: reads.changed("g9"))
    await reads.page("k", racing_page)
    await reads.page("k", racing_page)
    assert racing_page.calls == 2


async def test_losing_the_change_stream_forgets_everything_and_stops_answering_from_memory() -> None:
    reads, _, feed = cache()
    load = Loader({"_id": "g1"})
    await reads.document("g1", load)
    reads.reset()
    feed.seen = None
    await reads.document("g1", load)
    await reads.document("g1", load)
    assert load.calls == 3
    feed.seen = Timestamp(100, 1)
    lost_midway = Loader({"_id": "g2"}, during=reads.reset)
    await reads.document("g2", lost_midway)
    await reads.document("g2", lost_midway)
    assert lost_midway.calls == 2


async def test_requests_that_change_something_read_the_database_and_keep_nothing() -> None:
    reads, _, _ = cache()
    load = Loader({"_id": "g1"})
    token = FRESH.set(True)
    try:
        await reads.document("g1", load)
        await reads.document("g1", load)
        await reads.page("k", Loader([]))
    finally:
        FRESH.reset(token)
    assert load.calls == 2
    await reads.document("g1", load)  # nothing was kept by the writing request
    assert load.calls == 3


async def test_memory_is_bounded_and_a_forgotten_change_makes_reads_conservative() -> None:
    reads, _, _ = cache(entries=2, changes_kept=2)
    loads = {g: Loader({"_id": g}) for g in ("a", "b", "c")}
    for g in ("a", "b", "c"):
        await reads.document(g, loads[g])
    await reads.document("a", loads["a"])  # pushed out by c
    assert loads["a"].calls == 2
    racing = Loader({"_id": "d"}, during=lambda: [reads.changed(x) for x in ("x", "y", "z")])
    await reads.document("d", racing)  # d's own change record may have been forgotten: do not keep it
    await reads.document("d", racing)
    assert racing.calls == 2


async def test_a_cache_of_size_zero_reads_the_database_every_time() -> None:
    reads, _, _ = cache(entries=0)
    load = Loader({"_id": "g1"})
    await reads.document("g1", load)
    await reads.document("g1", load)
    assert load.calls == 2


class PingDb:
    """A database whose pings the test answers one by one."""

    def __init__(self) -> None:
        self.pings: list[asyncio.Future[dict[str, Any]]] = []

    async def command(self, name: str) -> dict[str, Any]:
        assert name == "ping"
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pings.append(reply)
        return await reply


async def test_the_clock_sends_one_ping_at_a_time_and_later_callers_share_the_next() -> None:
    db = PingDb()
    clock = ClusterClock(cast(Any, db))
    early = [asyncio.create_task(clock.now()) for _ in range(3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert len(db.pings) == 1
    late = [asyncio.create_task(clock.now()) for _ in range(3)]  # asked after the first ping left
    await asyncio.sleep(0)
    assert len(db.pings) == 1  # they wait for it to return, then share one
    db.pings[0].set_result({"ok": 1, "operationTime": Timestamp(7, 1)})
    assert [await t for t in early] == [Timestamp(7, 1)] * 3
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(db.pings) == 2
    db.pings[1].set_result({"ok": 1, "operationTime": Timestamp(7, 2)})
    assert [await t for t in late] == [Timestamp(7, 2)] * 3


async def test_a_server_without_cluster_time_or_a_failing_ping_never_answers_from_memory() -> None:
    db = PingDb()
    reads = ReadCache(ClusterClock(cast(Any, db)))
    feed = FakeFeed()
    reads.feed = cast(ChangeFeed, feed)
    load = Loader({"_id": "g1"})

    async def read_while_answering(reply: dict[str, Any] | Exception) -> None:
        task = asyncio.create_task(reads.document("g1", load))
        while not db.pings or db.pings[-1].done():
            await asyncio.sleep(0)
        if isinstance(reply, Exception):
            db.pings[-1].set_exception(reply)
        else:
            db.pings[-1].set_result(reply)
        await task

    await read_while_answering({"ok": 1})  # a standalone server: no operationTime
    await read_while_answering({"ok": 1})
    await read_while_answering(ConnectionError("down"))
    assert load.calls == 3


async def test_the_feed_reports_reaching_a_time_as_soon_as_it_gets_there() -> None:
    feed = ChangeFeed(cast(Any, None), "generations", on_change=lambda _id: None, on_reset=lambda: None)
    feed._advance(Timestamp(5, 1))
    assert await feed.reached(Timestamp(5, 1), 0)
    assert not await feed.reached(Timestamp(5, 2), 0.01)
    waiting = asyncio.create_task(feed.reached(Timestamp(5, 3), 5))
    await asyncio.sleep(0)
    feed._advance(Timestamp(5, 2))
    await asyncio.sleep(0)
    assert not waiting.done()
    feed._advance(Timestamp(6, 0))
    assert await asyncio.wait_for(waiting, 1)


async def test_a_built_response_is_reused_only_for_the_same_document_object_and_not_for_long() -> None:
    now = [0.0]
    views = BuiltViews(reuse_s=10, clock=lambda: now[0])

    class Doc:
        def __init__(self, gid: str) -> None:
            self.id = gid

    builds = []

    async def build() -> str:
        builds.append(1)
        return f"view {len(builds)}"

    first = Doc("g1")
    assert await views.get(first, build) == "view 1"
    assert await views.get(first, build) == "view 1"
    second = Doc("g1")  # the cache loaded a new object: the document changed
    assert await views.get(second, build) == "view 2"
    now[0] += 9.9
    assert await views.get(second, build) == "view 2"
    now[0] += 0.1
    assert await views.get(second, build) == "view 3"


async def test_built_responses_are_not_kept_when_the_cache_is_off() -> None:
    views = BuiltViews(size=0)

    class Doc:
        id = "g1"

    doc, builds = Doc(), []

    async def build() -> int:
        builds.append(1)
        return len(builds)

    assert [await views.get(doc, build) for _ in range(3)] == [1, 2, 3]
