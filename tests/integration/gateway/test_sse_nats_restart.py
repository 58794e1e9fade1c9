"""The SSE feed across a real NATS restart (issue 17): a resumed client never gets an id at or below the one
it resumed after, and what is published after the restart arrives exactly once.

Its own module (and so its own gateway): restarting the session's NATS is felt by every connection on it.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationCompleted, StageProgress
from admint.contracts.subjects import subject_for
from admint.core.settings import CoreSettings
from tests.integration.gateway.conftest import RunningGateway, gateway_settings, serve
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration
BRIEF = "An ad for a lamp that wakes you with sunrise light, for night-shift nurses."
MASTER = ArtifactRef(bucket="admint", key="generations/x/master.mp4", sha256="0" * 64, size=1,
                     content_type="video/mp4")


@pytest.fixture(scope="module")
async def gateway(stack: TestStack, bootstrapped: CoreSettings) -> AsyncIterator[RunningGateway]:
    if stack.local is None:
        pytest.skip("restarting NATS needs the embedded stack")
    running, server, task = await serve(gateway_settings(stack))
    try:
        yield running
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


@dataclass
class LiveFeed:
    """An SSE reader in the background that shows what it has read so far."""

    events: list[tuple[int, str]] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def read(self, client: httpx.AsyncClient, gid: str, last_event_id: int) -> None:
        headers = {"Last-Event-ID": str(last_event_id)}
        async with client.stream("GET", f"/v1/generations/{gid}/events", headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line == "":
                    if "event" in fields:
                        self.events.append((int(fields["id"]), fields["event"]))
                    self.opened.set()  # the `retry:` preamble arrives first
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")

    async def wait_for(self, n: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.events) < n:
            assert self.task is not None and not self.task.done(), f"the feed ended early: {self.events}"
            assert time.monotonic() < deadline, f"only {self.events} after {timeout_s}s"
            await asyncio.sleep(0.05)


async def publish_when_back(gateway: RunningGateway, event: Event, timeout_s: float = 20) -> int:
    """Publish once NATS answers again after the restart; the event's stream sequence."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await gateway.state.publisher.publish(event, timeout=2)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    msg = await gateway.state.js.get_last_msg("ADMINT", subject_for(event.generation_id, event.type))
    assert msg.seq is not None
    return int(msg.seq)


async def test_a_resumed_feed_never_replays_history_after_a_nats_restart(
    gateway: RunningGateway, stack: TestStack
) -> None:
    """The chaos run's case: history [requested], resume after it, restart NATS; the requested event came back
    (from the start of the stream) about 17 s later, before anything new."""
    key = await gateway.new_key()
    async with gateway.client(key) as client:
        gid = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        requested = await gateway.state.js.get_last_msg("ADMINT", subject_for(gid, "generation.requested.v1"))
        resume_after = int(requested.seq or 0)
        feed = LiveFeed()
        feed.task = asyncio.create_task(feed.read(client, gid, resume_after))
        await asyncio.wait_for(feed.opened.wait(), timeout=10)

        began = time.monotonic()
        await asyncio.to_thread(stack.restart, "nats")
        progress = StageProgress(generation_id=gid, producer="test", stage="storyboard", done=1, total=3,
                                 item="1")
        progress_seq = await publish_when_back(gateway, progress)
        await feed.wait_for(1, timeout_s=20)
        await asyncio.sleep(1.5)  # time for a late replay of history or a duplicate to show up
        done = GenerationCompleted(generation_id=gid, producer="test", master=MASTER, renditions=[],
                                   duration_s=30.0)
        done_seq = await publish_when_back(gateway, done)
        await asyncio.wait_for(feed.task, timeout=20)
        took = time.monotonic() - began

    assert all(seq > resume_after for seq, _ in feed.events), feed.events
    assert feed.events == [(progress_seq, "stage.progress.v1"), (done_seq, "generation.completed.v1")]
    assert took < 30, f"the feed took {took:.1f}s to recover"
