"""The soak's users: a submitter that retries with its Idempotency-Key until the gateway answers, and an SSE
watcher per generation that reconnects with Last-Event-ID whenever its connection drops."""

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

TERMINAL = ("generation.completed.v1", "generation.failed.v1", "generation.cancelled.v1")
RETRYABLE = (429, 500, 502, 503, 504)


def call(client: httpx.Client, method: str, url: str, *, deadline_s: float = 120, **kwargs: Any) -> httpx.Response:
    """One API call, retried through restarts (connection errors, 5xx, 429 with its Retry-After)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            response = client.request(method, url, **kwargs)
            if response.status_code not in RETRYABLE:
                return response
            wait = float(response.headers.get("retry-after", "1"))
        except httpx.HTTPError:
            wait = 0.5
        if time.monotonic() + wait > deadline:
            raise AssertionError(f"{method} {url} did not get through within {deadline_s}s")
        time.sleep(min(wait, 5))


@dataclass
class Watcher:
    """Follows one generation's feed to its end, through any number of dropped connections."""

    client: httpx.Client
    generation_id: str
    received: list[tuple[int, str, int]] = field(default_factory=list)
    """(stream sequence, event type, retry round) in the order they arrived."""
    reconnects: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def last_id(self) -> int:
        return self.received[-1][0] if self.received else 0

    def _ended(self) -> bool:
        """The latest retry round's terminal event arrived (quality scores may follow it on the feed, and a
        resume after them gets nothing new: the feed has ended)."""
        latest = max((attempt for _, _, attempt in self.received), default=0)
        return any(kind in TERMINAL and attempt == latest for _, kind, attempt in self.received)

    def _read_once(self) -> None:
        headers = {"Accept": "text/event-stream"}
        if self.received:
            headers["Last-Event-ID"] = str(self.last_id)
        url = f"/v1/generations/{self.generation_id}/events"
        with self.client.stream("GET", url, headers=headers, timeout=httpx.Timeout(30, connect=5)) as response:
            if response.status_code != 200:
                response.read()
                time.sleep(float(response.headers.get("retry-after", "1")))
                return
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if line == "":
                    if "data" in fields:
                        data = json.loads(fields["data"])
                        self.received.append((int(fields["id"]), fields.get("event", ""), int(data.get("attempt", 0))))
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = fields.get(name, "") + value.removeprefix(" ")

    def run(self) -> None:
        while not self._ended():
            try:
                self._read_once()
            except httpx.HTTPError:
                time.sleep(0.3)
            if not self._ended():
                self.reconnects += 1
        self.done.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name=f"watch-{self.generation_id}", daemon=True)
        thread.start()
        return thread
