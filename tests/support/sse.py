"""A plain-HTTP SSE reader for tests: what any client without an SSE library would do."""

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    id: int
    event: str
    data: dict[str, Any]


def read_events(
    client: httpx.Client, url: str, *, last_event_id: int | None = None, stop_after: int | None = None,
    timeout_s: float = 300.0,
) -> list[SseEvent]:
    """Read the feed until the server ends it (terminal event) or `stop_after` events were read."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    events: list[SseEvent] = []
    fields: dict[str, str] = {}
    with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(timeout_s, connect=10)) as response:
        response.raise_for_status()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line == "":
                if "data" in fields:
                    events.append(SseEvent(int(fields.get("id", "0")), fields.get("event", "message"),
                                           json.loads(fields["data"])))
                    if stop_after is not None and len(events) >= stop_after:
                        return events
                fields = {}
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                fields[name] = fields.get(name, "") + value.removeprefix(" ")
    return events
