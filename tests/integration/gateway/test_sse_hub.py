"""The SSE hub against real JetStream: many watchers of one generation share one consumer, and a client that
falls behind is sent a retry hint and ended without holding the others back."""

import asyncio

import httpx
import pytest

from admint.contracts.generation import GenerationCompleted
from admint.contracts.interactive import VersionCompleted
from admint.contracts.quality import QualityScored
from admint.contracts.subjects import generation_filter, subject_for
from admint.gateway.hub import SseHub, Watcher
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.test_sse import BRIEF, MASTER, progress, read_feed

pytestmark = pytest.mark.integration


async def consumers_of(gateway: RunningGateway, gid: str) -> int:
    """Consumers on the stream that follow this generation. The server lists at most 256 per request and the test
    session's shared stream can hold more (the services tests start leave their durables): every page is read."""
    js = gateway.state.js
    found, offset = 0, 0
    while page := await js.consumers_info("ADMINT", offset=offset):
        found += sum(1 for c in page if c.config.filter_subject == generation_filter(gid))
        offset += len(page)
    return found


async def all_watching(gateway: RunningGateway, gid: str, count: int, timeout_s: float = 30.0) -> None:
    """Until `count` watchers of the generation are attached to the gateway's hub."""
    async with asyncio.timeout(timeout_s):
        while True:
            hub = gateway.state.hub
            channel = hub.channels.get(gid) if hub is not None else None
            if channel is not None and len(channel.watchers) >= count:
                return
            await asyncio.sleep(0.05)


async def test_two_hundred_watchers_share_one_consumer_and_each_gets_every_event_once(
        gateway: RunningGateway) -> None:
    publisher = gateway.state.publisher
    key = await gateway.new_key(rate_limit_per_minute=100_000)
    async with gateway.client(key, limits=httpx.Limits(max_connections=250)) as client:
        gid = (await client.post("/v1/generations", json={"brief": BRIEF})).json()["id"]
        await publisher.publish(progress(gid, 1))
        readers = [asyncio.create_task(read_feed(client, gid)) for _ in range(200)]
        await all_watching(gateway, gid, 200)  # not a fixed sleep: 200 connects take longer on a busy machine
        assert await consumers_of(gateway, gid) == 1  # not one per watcher
        for done in range(2, 8):
            await publisher.publish(progress(gid, done))
        await publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                    renditions=[], duration_s=30.0))
        feeds = await asyncio.wait_for(asyncio.gather(*readers), timeout=60)
    expected = feeds[0].events
    assert [t for _, t, _ in expected] == ["generation.requested.v1", *["stage.progress.v1"] * 7,
                                           "generation.completed.v1"]
    assert [s for s, _, _ in expected] == sorted({s for s, _, _ in expected})
    assert all(f.events == expected for f in feeds)


async def test_a_client_that_falls_behind_gets_a_retry_hint_and_the_end_the_others_get_everything(
        gateway: RunningGateway) -> None:
    state = gateway.state
    gid = "01JD3Z8K7Q2W4E6R8T0Y2U4S1W"
    hub = SseHub(state.nc, state.js, "ADMINT", keepalive_s=0.3, retry_ms=250, backlog=3)

    async def attempt() -> int:
        return 0

    try:
        await state.publisher.publish(progress(gid, 0))
        slow = await hub.watch(gid, 0, attempt)
        fast = await hub.watch(gid, 0, attempt)
        fast_frames: list[str] = []

        async def read_fast() -> None:
            async for chunk in fast.stream_text():
                fast_frames.append(chunk)

        reader = asyncio.create_task(read_fast())
        for done in range(1, 9):  # the slow client reads nothing meanwhile
            await state.publisher.publish(progress(gid, done))
        await state.publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                          renditions=[], duration_s=30.0))
        await asyncio.wait_for(reader, timeout=20)
        slow_frames = [chunk async for chunk in slow.stream_text()]
    finally:
        await hub.close()
    ids = [int(line[4:]) for chunk in fast_frames for line in chunk.splitlines() if line.startswith("id: ")]
    assert len(ids) == 10 and ids == sorted(set(ids))  # nine progress events and the completion
    slow_ids = [int(line[4:]) for chunk in slow_frames for line in chunk.splitlines() if line.startswith("id: ")]
    assert slow_ids == ids[:len(slow_ids)] and len(slow_ids) < len(ids)  # what it had, in order, no more
    assert slow_frames[-1] == "retry: 250\n\n"  # then a hint to come back with Last-Event-ID


def frame_ids(frames: list[str]) -> list[tuple[int, str]]:
    out, seq = [], 0
    for line in "".join(frames).splitlines():
        if line.startswith("id: "):
            seq = int(line[4:])
        elif line.startswith("event: "):
            out.append((seq, line[7:]))
    return out


async def test_scores_after_the_completion_reach_every_watcher_then_the_streams_end(
        gateway: RunningGateway) -> None:
    """Work beside the pipeline publishes after the terminal event: each watcher (live, and one resuming after
    the end) stays open for it, shows only those events after the end, and ends once nothing more is awaited."""
    state = gateway.state
    gid = "01JD3Z8K7Q2W4E6R8T0Y2U4S2X"
    hub = SseHub(state.nc, state.js, "ADMINT", keepalive_s=0.3, retry_ms=250, more_wait_s=30.0)
    pending = [True]

    async def attempt() -> int:
        return 0

    async def more() -> bool:
        return pending[0]

    def scored(item: str) -> QualityScored:
        return QualityScored(generation_id=gid, producer="test", kind="master" if item == "master" else "chunk",
                             item=item, video=MASTER)

    async def read(watcher) -> list[str]:  # type: ignore[no-untyped-def]
        return [chunk async for chunk in watcher.stream_text()]

    try:
        await state.publisher.publish(progress(gid, 0))
        live = asyncio.create_task(read(await hub.watch(gid, 0, attempt, more)))
        await state.publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                          renditions=[], duration_s=30.0))
        await state.publisher.publish(progress(gid, 9))  # not beside the pipeline: not shown after the end
        await asyncio.sleep(1.5)
        assert not live.done()  # the master's score is still to come
        completed_seq = (await state.js.get_last_msg("ADMINT", subject_for(gid, "generation.completed.v1"))).seq
        resumed = asyncio.create_task(read(await hub.watch(gid, completed_seq, attempt, more)))
        await state.publisher.publish(scored("0-0"))
        pending[0] = False  # recorded just before its event is published: one more quiet wait, then the end
        await state.publisher.publish(scored("master"))
        live_frames, resumed_frames = await asyncio.wait_for(asyncio.gather(live, resumed), timeout=20)
    finally:
        await hub.close()
    assert [t for _, t in frame_ids(live_frames)] == ["stage.progress.v1", "generation.completed.v1",
                                                      "quality.scored.v1", "quality.scored.v1"]
    assert [t for _, t in frame_ids(resumed_frames)] == ["quality.scored.v1", "quality.scored.v1"]
    assert frame_ids(resumed_frames) == frame_ids(live_frames)[2:]


async def test_a_version_asked_for_right_after_the_end_keeps_a_resuming_watcher_to_its_end(
        gateway: RunningGateway) -> None:
    """The channel had just seen the completion with nothing rendering (and remembered that for a second); a
    client that asks for version 2 and reconnects at once must get the version's events, not an ended feed."""
    state = gateway.state
    gid = "01JD3Z8K7Q2W4E6R8T0Y2U4S2V"
    hub = SseHub(state.nc, state.js, "ADMINT", keepalive_s=0.3, retry_ms=250)
    rendering = [0]

    async def attempt() -> int:
        return 0

    async def version() -> int:
        return rendering[0]

    try:
        await state.publisher.publish(progress(gid, 0))
        await state.publisher.publish(GenerationCompleted(generation_id=gid, producer="test", master=MASTER,
                                                          renditions=[], duration_s=30.0))
        first = await hub.watch(gid, 0, attempt, rendering_version=version)
        seen = frame_ids([chunk async for chunk in first.stream_text()])
        assert [t for _, t in seen][-1] == "generation.completed.v1"  # nothing rendered: it ended there
        rendering[0] = 2  # POST …/beats/2/regenerate, then the client reconnects at once
        resumed = await hub.watch(gid, seen[-1][0], attempt, rendering_version=version)
        reader = asyncio.create_task(asyncio.wait_for(
            asyncio.shield(_collect(resumed)), timeout=20))
        await state.publisher.publish(progress(gid, 1).model_copy(update={"ad_version": 2}))
        rendering[0] = 0
        await state.publisher.publish(VersionCompleted(generation_id=gid, producer="test", ad_version=2,
                                                       master=MASTER, renditions=[], duration_s=30.0))
        after = frame_ids(await reader)
    finally:
        await hub.close()
    assert [t for _, t in after] == ["stage.progress.v1", "version.completed.v1"]


async def _collect(watcher: Watcher) -> list[str]:
    return [chunk async for chunk in watcher.stream_text()]
