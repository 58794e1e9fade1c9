"""The gateway's generation reads from memory, never stale (issue 16: the API under load).

A GET of a generation or of the list costs a database round trip and, on the Mongo-wire server, more CPU than the
rest of the request. This cache answers from memory instead, and stays linearizable:

- **ChangeFeed** follows the database's change stream: every change to a generation evicts it (and the list
  pages), and the feed knows the cluster time up to which it has applied every change.
- **ClusterClock** asks the database for its current cluster time with one `ping`, shared by every request that
  asked while it was on its way (on the Mongo-wire server a ping costs 0.08 ms against 0.66 ms for a 20 KB
  generation; the driver's side halves, and the document is not decoded and validated again).
- **ReadCache** answers from memory only when the feed has applied every change up to that time: whatever write
  finished before the request began (a service, another gateway, a script) has then evicted what it changed.
  Otherwise the request reads the database as before. A read that overlapped a change is not kept.

Without a change stream or a cluster time (a standalone server), every read goes to the database.
"""

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from bson import Timestamp
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from admint.core.mongo import Database

log = logging.getLogger("admint.gateway.read_cache")
CACHE_READS = Counter("admint_gateway_cache_reads_total",
                      "Generation reads by the gateway, by what answered them.", ["kind", "answer"])
T = TypeVar("T")
FRESH: ContextVar[bool] = ContextVar("admint_fresh_reads", default=False)
"""Set for the requests that change something: their reads go to the database and are not kept."""


class WritesReadFresh:
    """ASGI middleware: a request that is not GET or HEAD reads from the database (it may act on what it reads,
    and change it), and the objects the cache shares never reach code that writes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            token = FRESH.set(True)
            try:
                await self.app(scope, receive, send)
            finally:
                FRESH.reset(token)
            return
        await self.app(scope, receive, send)


class ClusterClock:
    """The database's current cluster time, read by a `ping` sent after the caller asked.

    One ping at a time: callers that ask while one is on its way share the next, sent when it returns (as a
    group commit). The busier the gateway, the more requests one ping serves.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._next: asyncio.Future[Timestamp | None] | None = None
        self._sending = False

    async def now(self) -> Timestamp | None:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(lambda f: f.cancelled() or f.exception())  # read even if nobody waits
            if not self._sending:
                self._sending = True
                asyncio.get_running_loop().create_task(self._send())
        return await asyncio.shield(self._next)

    async def _send(self) -> None:
        try:
            while self._next is not None:
                answer, self._next = self._next, None  # who asks from here on waits for the next ping
                try:
                    reply = await self.db.command("ping")
                except Exception as exc:
                    answer.set_exception(exc)
                    continue
                now = reply.get("operationTime")
                answer.set_result(now if isinstance(now, Timestamp) else None)
        finally:
            self._sending = False


CHANGES_ONLY = [{"$project": {"updateDescription": 0, "fullDocument": 0, "fullDocumentBeforeChange": 0}}]
"""The feed needs which document changed and when, not what changed (a chunk's update carries its whole entry)."""


class ChangeFeed:
    """Follows the database's change stream and reports each changed generation; `seen` is the cluster time up
    to which every change has been reported (None while the stream is down).

    The server's clock also moves without a change (it mints a time for every driver's `hello`), which the long
    poll would only notice when it returns. A reader that finds the feed behind, and sees the feed not catching up
    at once, asks for a look: a short change stream from `seen` to now (one at a time, shared by the readers
    waiting) reports whatever the long poll has not delivered yet and moves `seen` to now.
    """

    def __init__(self, db: Database, collection: str, on_change: Callable[[Any], None],
                 on_reset: Callable[[], None], max_await_ms: int = 1000, retry_s: float = 1.0,
                 patience_s: float = 0.005) -> None:
        self.db, self.collection = db, collection
        self.on_change, self.on_reset = on_change, on_reset
        self.max_await_ms, self.retry_s, self.patience_s = max_await_ms, retry_s, patience_s
        self.seen: Timestamp | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting: list[tuple[Timestamp, asyncio.Future[None]]] = []
        self._opened = 0
        """Counts the stream's openings and losses: a look that spans one proves nothing."""
        self._look: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="read-cache-feed")

    async def close(self) -> None:
        for task in (self._task, self._look):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._lost()

    def _lost(self) -> None:
        self._opened += 1
        self.seen = None
        self.on_reset()
        self._advance(None)

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change stream lost (%s); generation reads go to the database meanwhile", exc)
            self._lost()
            await asyncio.sleep(self.retry_s)

    async def _follow(self) -> None:
        async with self.db.client.start_session(causal_consistency=False) as session:
            async with await self.db.watch(CHANGES_ONLY, session=session,
                                           max_await_time_ms=self.max_await_ms) as stream:
                self._opened += 1
                self._advance(session.operation_time)  # the stream starts here; the cache is empty
                while True:
                    change = await stream.try_next()
                    if change is None:  # an empty batch: nothing changed up to the server's time of the reply
                        self._advance(session.operation_time)
                        continue
                    self._apply(change)

    def _apply(self, change: dict[str, Any]) -> None:
        where = change.get("ns") or {}
        if change.get("operationType") in ("drop", "dropDatabase", "rename", "invalidate"):
            raise RuntimeError(f"change stream saw {change.get('operationType')}")
        if where.get("coll") == self.collection:
            self.on_change((change.get("documentKey") or {}).get("_id"))
        self._advance(change["clusterTime"])

    def _advance(self, seen: Timestamp | None) -> None:
        if seen is not None and self.seen is not None and seen <= self.seen:
            return  # a look may have gone further than the long poll
        self.seen = seen
        if not self._waiting:
            return
        still = []
        for until, waiter in self._waiting:
            if waiter.done():
                continue
            if seen is None or until <= seen:
                waiter.set_result(None)
            else:
                still.append((until, waiter))
        self._waiting = still

    def _at(self, until: Timestamp) -> bool:
        return self.seen is not None and until <= self.seen

    async def reached(self, until: Timestamp, within_s: float) -> bool:
        """Whether every change up to `until` has been reported, waiting up to `within_s` for it: first for the
        long poll (it reports a change well under a millisecond after it is written), then by looks."""
        if self._at(until):
            return True
        if self.seen is None or within_s <= 0:
            return False
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append((until, waiter))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, min(self.patience_s, within_s))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s - self.patience_s):
                for _ in range(2):  # the look under way may have begun before `until`: then one more
                    if self._at(until) or self.seen is None:
                        break
                    if self._look is None or self._look.done():
                        self._look = asyncio.get_running_loop().create_task(self._look_now())
                    await asyncio.shield(self._look)
        return self._at(until)

    async def _look_now(self) -> None:
        """Report the changes since `seen` that the long poll has not delivered yet, and move `seen` to now."""
        since, opened = self.seen, self._opened
        if since is None:
            return
        try:
            async with self.db.client.start_session(causal_consistency=False) as session:
                async with await self.db.watch(CHANGES_ONLY, session=session, start_at_operation_time=since,
                                               max_await_time_ms=1) as stream:
                    while (change := await stream.try_next()) is not None:
                        if opened != self._opened:
                            return
                        self._apply(change)
                    if opened == self._opened:
                        self._advance(session.operation_time)
        except Exception as exc:  # the long poll goes on; a reader that is not answered reads the database
            log.info("change stream look failed: %s", exc)


class ReadCache:
    """Generation documents by id and list pages by query, kept while nothing changed them (see the module)."""

    def __init__(self, clock: ClusterClock, max_entries: int = 256, max_changes_kept: int = 65536,
                 catch_up_s: float = 0.1) -> None:
        self.clock = clock
        self.catch_up_s = catch_up_s
        """How long a read waits for the change stream to catch up before it reads the database instead (waiting
        is cheaper: a busy gateway that read the database whenever it fell behind would fall further behind)."""
        self.feed: ChangeFeed | None = None
        self.max_entries, self.max_changes_kept = max_entries, max_changes_kept
        self._documents: OrderedDict[str, Any] = OrderedDict()
        self._pages: OrderedDict[Hashable, list[Any]] = OrderedDict()
        self._tick = 0
        """Counts changes applied and resets: a read that began at tick t is kept only if nothing it read
        changed after t."""
        self._changed: OrderedDict[Any, int] = OrderedDict()
        self._forgotten = 0
        """The latest tick of a change no longer in `_changed` (it is bounded)."""
        self._any_change = 0
        self._reset = 0

    def follow(self, db: Database, collection: str) -> ChangeFeed:
        self.feed = ChangeFeed(db, collection, self.changed, self.reset)
        self.feed.start()
        return self.feed

    def changed(self, document_id: Any) -> None:
        self._tick += 1
        self._any_change = self._tick
        self._documents.pop(document_id, None)
        self._pages.clear()
        self._changed[document_id] = self._tick
        self._changed.move_to_end(document_id)
        while len(self._changed) > self.max_changes_kept:
            self._forgotten = self._changed.popitem(last=False)[1]

    def reset(self) -> None:
        self._tick += 1
        self._reset = self._any_change = self._tick
        self._documents.clear()
        self._pages.clear()

    async def _current(self) -> bool:
        """Whether the feed has applied every change that finished before now."""
        if self.feed is None or self.feed.seen is None:
            return False
        try:
            now = await self.clock.now()
        except Exception:
            return False
        return now is not None and await self.feed.reached(now, self.catch_up_s)

    async def document(self, document_id: str, load: Callable[[], Awaitable[T | None]]) -> T | None:
        """What `load` makes of the stored document, from memory when current. The object is shared by the
        requests it answers: they only read it (the writing routes read their own copy, `WritesReadFresh`)."""
        return await self._read("document", self._documents, document_id, load,
                                lambda found, began: found is not None and self._unchanged(document_id, began))

    async def page(self, key: Hashable, load: Callable[[], Awaitable[list[T]]]) -> list[T]:
        """What `load` makes of one list query, from memory when current (any change of a generation drops
        every page)."""
        return await self._read("page", self._pages, key, load,
                                lambda _, began: self._any_change <= began and self._following(began))

    async def _read(self, kind: str, entries: "OrderedDict[Any, Any]", key: Any, load: Callable[[], Awaitable[Any]],
                    keepable: Callable[[Any, int], bool]) -> Any:
        """From memory when current; else `load`, kept when `keepable` (nothing it read changed since it began)."""
        if FRESH.get():
            return await load()
        if self.max_entries and await self._current():
            kept = entries.get(key)
            if kept is not None:
                entries.move_to_end(key)
                CACHE_READS.labels(kind, "memory").inc()
                return kept
        began = self._tick
        found = await load()
        CACHE_READS.labels(kind, "database").inc()
        if self.max_entries and keepable(found, began):
            self._keep(entries, key, found)
        return found

    def _following(self, since: int) -> bool:
        return self.feed is not None and self.feed.seen is not None and self._reset <= since

    def _unchanged(self, document_id: Any, since: int) -> bool:
        if not self._following(since):
            return False
        changed = self._changed.get(document_id)
        return (changed if changed is not None else self._forgotten) <= since

    def _keep(self, entries: "OrderedDict[Any, Any]", key: Any, value: Any) -> None:
        entries[key] = value
        entries.move_to_end(key)
        while len(entries) > self.max_entries:
            entries.popitem(last=False)


class BuiltViews:
    """The response built from what the cache answered — a generation's document, a page of the list — reused
    while the cache answers with the same object (a change loads a new one) and for at most `reuse_s`: presigned
    links are signed for longer than the `url_expires_at` a response states (presign.py), so a reused response
    stays true. The routes keep the serialized JSON: building and serializing a 20 KB view was a fifth of the
    gateway's CPU per GET."""

    def __init__(self, reuse_s: float = 10.0, size: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self.reuse_s, self.size, self.clock = reuse_s, size, clock
        self._views: OrderedDict[Hashable, tuple[object, float, Any]] = OrderedDict()

    async def get(self, source: Any, build: Callable[[], Awaitable[T]], key: Hashable | None = None) -> T:
        """What `build` makes of `source`, from memory while `source` is the object kept under `key` (by default
        the document's id)."""
        key = source.id if key is None else key
        now = self.clock()
        kept = self._views.get(key)
        if kept is not None and kept[0] is source and now - kept[1] < self.reuse_s:
            return cast(T, kept[2])
        view = await build()
        self._views[key] = (source, now, view)
        self._views.move_to_end(key)
        while len(self._views) > self.size:
            self._views.popitem(last=False)
        return view
