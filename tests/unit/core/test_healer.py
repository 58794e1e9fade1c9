"""Self-healing fan-ins: the sweep, and the storyboard/chunker decisions of what is due (issue 17)."""

from datetime import timedelta

import pytest

from admint.chunker.heal import heal_chunking
from admint.contracts.envelope import Event
from admint.core.docstore import now
from admint.core.document import ChunkEntry, ChunkPlanRecord, FrameEntry
from admint.core.healer import heal_once
from admint.storyboard.heal import heal_storyboard
from tests.support import builders
from tests.support.fakes import FakeGenerationStore

pytestmark = pytest.mark.unit
FRAME = FrameEntry(image=builders.ref("f.png", "image/png"), model="offline-image")


def chunk(b: int, c: int) -> ChunkEntry:
    return ChunkEntry(beat_index=b, chunk_index=c, chunk_count=1, video=builders.ref(f"{b}-{c}.mp4"),
                      last_frame=builders.ref(f"{b}-{c}.png", "image/png"), duration_s=5, requested_duration_s=5,
                      model="offline-video")


async def storyboarding(frames: int) -> tuple[FakeGenerationStore, str]:
    docs, gid = FakeGenerationStore(), "G1"
    await docs.create(builders.generation(gid, plan=builders.plan(15)))
    await docs.start_storyboard(gid, 3, "offline-image")
    for beat in range(frames):
        await docs.record_frame(gid, beat, FRAME)
    docs.docs[gid]["updated_at"] = now() - timedelta(seconds=60)
    return docs, gid


async def test_a_complete_but_unannounced_storyboard_is_completed_once() -> None:
    docs, gid = await storyboarding(3)
    published: list[Event] = []

    async def publish(event: Event) -> bool:
        published.append(event)
        return True

    async def in_stream(event: Event) -> bool:
        return any(e.msg_id == event.msg_id for e in published)

    assert await heal_once(docs, heal_storyboard, None, ["storyboarding"], 20, publish, in_stream) == [gid]
    (event,) = published
    assert event.type == "storyboard.completed.v1" and event.msg_id == f"{gid}:storyboard.completed.v1"
    assert [f.beat_index for f in event.frames] == [0, 1, 2]  # type: ignore[attr-defined]
    assert await heal_once(docs, heal_storyboard, None, ["storyboarding"], 20, publish, in_stream) == []


async def test_an_incomplete_or_busy_stage_is_left_to_its_budget() -> None:
    docs, gid = await storyboarding(2)
    assert await heal_storyboard((await docs.get(gid)), None) == []  # type: ignore[arg-type]
    docs, gid = await storyboarding(3)
    docs.docs[gid]["updated_at"] = now()  # written a moment ago: work is going on

    async def never(event: Event) -> bool:
        raise AssertionError("a busy generation must not be healed")

    assert await heal_once(docs, heal_storyboard, None, ["storyboarding"], 20, never, never) == []


async def test_chunking_heals_only_when_every_planned_chunk_is_recorded() -> None:
    docs, gid = FakeGenerationStore(), "G2"
    await docs.create(builders.generation(gid, plan=builders.plan(15)))
    await docs.start_chunking(gid, ChunkPlanRecord(model="offline-video", chunk_duration_s=5, total=3,
                                                   beats={"0": 1, "1": 1, "2": 1}))
    await docs.record_chunk(gid, chunk(0, 0))
    await docs.record_chunk(gid, chunk(1, 0))
    assert await heal_chunking(await docs.get(gid), None) == []  # type: ignore[arg-type]
    await docs.record_chunk(gid, chunk(2, 0))
    (event,) = await heal_chunking(await docs.get(gid), None)  # type: ignore[arg-type]
    assert event.type == "chunks.completed.v1" and len(event.chunks) == 3  # type: ignore[attr-defined]
