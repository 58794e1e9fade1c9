"""The SSE feed against real JetStream: history then live, Last-Event-ID resume, keep-alives, terminal end."""

import asyncio
from dataclasses import dataclass, field

import httpx
import pytest

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.generation import GenerationCompleted, GenerationFailed, StageProgress
from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration
BRIEF = "An ad for a lamp that wakes you with sunrise light, for night-shift nurses."
MASTER = ArtifactRef(bucket="admint", key="generations/x/master.mp4", sha256="0" * 64, size=1, content_type="video/mp4")


@dataclass
class Feed:
    events: list[tuple[int, str, str]] = field(default_factory=list)
    comments: int = 0
    retry: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


async def read_feed(client: httpx.AsyncClient, gid: str, last_event_id: int | None = None,
                    stop_after: int | None = None) -> Feed:
    """A plain-HTTP SSE parser (what any client would do), reading until the server ends the stream."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    feed = Feed()
    async with client.stream("GET", f"/v1/generations/{gid}/events", headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        feed.headers = dict(response.headers)
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line.startswith(":"):
                feed.comments += 1
            elif line == "":
                if "event" in fields:
                    feed.events.append((int(fields["id"]), fields["event"], fields["data"]))
                    if stop_after and len(feed.events) >= stop_after:
                        break
                elif "retry" in fields:
                    feed.retry = int(fields["retry"])
                fields = {}
            else:
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
    return feed


def progress(gid: str, done: int) -> StageProgress:
    return StageProgress(generation_id=gid, producer="test", stage="storyboard", done=done, total=3, item=str(done))


async def test_history_then_end_then_resume_with_last_event_id(gateway: RunningGateway, key: str) -> None:
    publisher = gateway.state.publisher
    async with gateway.client(key) as client:
        gid = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        for done in (1, 2, 3):
            await publisher.publish(progress(gid, done))
        await publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                    renditions=[], duration_s=30.0))
        await publisher.publish(progress(gid, 4))  # after the terminal event: never shown

        whole = await read_feed(client, gid)
        assert [t for _, t, _ in whole.events] == [
            "generation.requested.v1", "stage.progress.v1", "stage.progress.v1", "stage.progress.v1",
            "generation.completed.v1",
        ]
        seqs = [s for s, _, _ in whole.events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert whole.retry == 100
        assert whole.headers["x-accel-buffering"] == "no"
        assert whole.headers["content-type"].startswith("text/event-stream")
        assert '"done":2' in whole.events[2][2]

        resumed = await read_feed(client, gid, last_event_id=seqs[2])
        assert resumed.events == whole.events[3:]
        finished = await read_feed(client, gid, last_event_id=seqs[-1])
        assert finished.events == []


async def test_live_events_arrive_with_keepalives_between(gateway: RunningGateway, key: str) -> None:
    publisher = gateway.state.publisher
    async with gateway.client(key) as client:
        gid = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        reader = asyncio.create_task(read_feed(client, gid))
        await asyncio.sleep(1.0)  # a few keep-alive periods (0.3 s in tests) with nothing to send
        await publisher.publish(progress(gid, 1))
        await asyncio.sleep(0.4)
        await publisher.publish(GenerationFailed(generation_id=gid, producer="test", stage="storyboard",
                                                 reason="the image model refused the prompt"))
        feed = await asyncio.wait_for(reader, timeout=20)
    assert [t for _, t, _ in feed.events] == ["generation.requested.v1", "stage.progress.v1", "generation.failed.v1"]
    assert feed.comments >= 2
    assert "refused the prompt" in feed.events[-1][2]


async def test_reconnect_mid_stream_gets_exactly_the_rest(gateway: RunningGateway, key: str) -> None:
    publisher = gateway.state.publisher
    async with gateway.client(key) as client:
        gid = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        for done in (1, 2):
            await publisher.publish(progress(gid, done))
        first = await read_feed(client, gid, stop_after=2)  # the client drops after two events
        assert len(first.events) == 2
        resume = asyncio.create_task(read_feed(client, gid, last_event_id=first.events[-1][0]))
        await asyncio.sleep(0.3)
        await publisher.publish(progress(gid, 3))
        await publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                    renditions=[], duration_s=15.0))
        rest = await asyncio.wait_for(resume, timeout=20)
        whole = await read_feed(client, gid)
    assert first.events + rest.events == whole.events
    assert [t for _, t, _ in rest.events] == ["stage.progress.v1", "stage.progress.v1", "generation.completed.v1"]


async def test_bad_last_event_id_is_a_422_problem(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        gid = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        response = await client.get(f"/v1/generations/{gid}/events", headers={"Last-Event-ID": "yesterday"})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        await client.post(f"/v1/generations/{gid}/cancel")


async def test_a_reconnect_storm_gets_every_event_exactly_once_from_where_each_client_was(
    gateway: RunningGateway,
) -> None:
    """100 clients reconnect at once (the chaos run's storm), each resuming somewhere in a 12-event history,
    some from the start: each gets exactly the events after its own id, in order, then the live ones, then the
    end. None is refused by the key's rate limit, which is far above 100 requests."""
    publisher = gateway.state.publisher
    key = await gateway.new_key(rate_limit_per_minute=100_000)
    async with gateway.client(key, limits=httpx.Limits(max_connections=120)) as client:
        gid = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        for done in range(1, 12):
            await publisher.publish(progress(gid, done))
        history = (await read_feed(client, gid, stop_after=12)).events
        seqs = [s for s, _, _ in history]
        resume_points: list[int | None] = [None, 0, *seqs]
        readers = [asyncio.create_task(read_feed(client, gid, last_event_id=resume_points[i % 14]))
                   for i in range(100)]
        await asyncio.sleep(1.0)
        await publisher.publish(progress(gid, 12))
        await publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                    renditions=[], duration_s=30.0))
        feeds = await asyncio.wait_for(asyncio.gather(*readers), timeout=120)  # 100 clients at once, loaded machine
        whole = (await read_feed(client, gid)).events
    assert [s for s, _, _ in whole[:12]] == seqs and len(whole) == 14
    for i, feed in enumerate(feeds):
        after = resume_points[i % 14] or 0
        assert feed.events == [e for e in whole if e[0] > after], f"client {i} resumed after {after}"
