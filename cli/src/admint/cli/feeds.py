"""Following a server-ended SSE feed (a generation group's): reconnect with Last-Event-ID until the server ends it.

Beside `ApiClient.follow` (which stops at a generation's terminal event) because a group's feed ends only when
every member has ended and been scored: the server decides.
"""

import time
from collections.abc import Callable, Iterator

import httpx
from httpx_sse import SSEError, connect_sse

from admint.client import ApiClient, ApiError, FeedEvent, Unreachable
from admint.client.http import _error_of


def feed_events(client: ApiClient, path: str, last_event_id: int | None = None) -> Iterator[FeedEvent]:
    """One SSE connection to `path`, until the server ends it."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    try:
        with connect_sse(client.http, "GET", path, headers=headers,
                         timeout=httpx.Timeout(30.0, read=120.0)) as source:
            if source.response.status_code != 200:
                source.response.read()
                raise _error_of(source.response)
            for sse in source.iter_sse():
                if sse.event and sse.id:
                    yield FeedEvent(seq=int(sse.id), type=sse.event, data=sse.json() if sse.data else {})
    except httpx.TransportError as exc:
        raise Unreachable(str(exc)) from exc


def follow_feed(client: ApiClient, path: str, *, max_reconnects: int = 20,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[FeedEvent]:
    """Every event of the feed exactly once, reconnecting after drops, until the server ends the feed."""
    last: int | None = None
    failures = 0
    while True:
        try:
            for event in feed_events(client, path, last):
                failures = 0
                last = event.seq
                yield event
            return
        except ApiError as exc:
            if exc.status not in (429, 502, 503, 504):
                raise
            failures += 1
            if failures > max_reconnects:
                raise
            wait = exc.retry_after or ""
            sleep(float(wait) if wait.isdigit() else 2.0)
        except (Unreachable, SSEError) as exc:
            failures += 1
            if failures > max_reconnects:
                raise Unreachable(f"lost the feed {path}: {exc}") from exc
            sleep(min(5.0, 0.5 * (failures + 1)))
