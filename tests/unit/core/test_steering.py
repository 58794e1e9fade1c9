"""Steering in each phase (core/steering.py), the worker's version semantics, and the checkpoint/version sweeps —
on the in-memory store fake (the real MongoDB-wire server runs the store's own scenarios)."""

from datetime import timedelta
from typing import Any

import pytest

from admint.contracts.envelope import Event
from admint.contracts.interactive import (
    BeatUpdated,
    CheckpointApproved,
    CheckpointReached,
    GenerationExpired,
    PlanChanged,
    VersionFailed,
    VersionRequested,
)
from admint.contracts.storyboard import FrameRequested, PlanCompleted, StoryboardCompleted
from admint.core import steering
from admint.core.docstore import now
from admint.core.document import (
    ChunkEntry,
    FrameEntry,
    GenerationDoc,
    MasterSection,
    MoodBoardRecord,
    MoodsSection,
)
from admint.core.steering import BeatChange, SteeringConflict
from admint.core.topology import ConsumerSpec
from admint.core.watchdog import sweep_versions, sweep_waiting
from admint.core.worker import Subscription, Worker
from tests.support import builders
from tests.support.fakes import FakeGenerationStore
from tests.unit.core.test_worker_unit import FakeDelivery, Published

pytestmark = pytest.mark.unit
DAY = 86400.0


def types(events: list[Event]) -> list[str]:
    return [e.type for e in events]


async def waiting(store: FakeGenerationStore, checkpoint: str, checkpoints: list[str], gid: str = "G1",
                  beats_ready: bool = False) -> GenerationDoc:
    spec = builders.spec(interactive=True, checkpoints=checkpoints)
    await store.create(builders.generation(gid, spec=spec))
    plan = builders.plan()
    await store.store_plan(gid, plan)
    await store.plan_beats(gid, len(plan.beats))
    if beats_ready:
        await store.enter(gid, "storyboarding")
        for beat in plan.beats:
            await store.frame_done(gid, beat.index, frame(beat.index))
            await store.move_beat(gid, beat.index, "frame_ready")
    assert await store.wait_at(gid, checkpoint)
    doc = await store.get(gid)
    assert doc is not None
    return doc


def frame(beat: int, take: int = 0) -> FrameEntry:
    suffix = f".t{take}" if take else ""
    return FrameEntry(image=builders.ref(f"generations/G1/storyboard/{beat}{suffix}.png", "image/png"),
                      model="offline-image", take=take)


async def test_moods_approval_applies_the_chosen_board_and_waits_at_the_plan() -> None:
    store = FakeGenerationStore()
    doc = await waiting(store, "moods", ["moods", "plan", "storyboard"])
    warm = doc.plan.style.model_copy(update={"palette": ["#ff8800", "#ffeecc"], "mood": "warm"})  # type: ignore[union-attr]
    boards = [MoodBoardRecord(index=i, name=f"board {i}", style=warm if i == 2 else doc.plan.style,  # type: ignore[union-attr]
                              music=doc.plan.music.model_copy(update={"tempo_bpm": 80 + i}),  # type: ignore[union-attr]
                              images=[builders.ref(f"m{i}-{k}.png", "image/png") for k in range(4)])
              for i in (1, 2, 3)]
    await store.record_moods("G1", MoodsSection(boards=boards))
    doc = await store.get("G1")
    assert doc is not None
    with pytest.raises(SteeringConflict, match="mood boards"):
        await steering.approve(store, doc, "moods", by="o", producer="gateway", deadline_s=DAY)
    with pytest.raises(SteeringConflict, match="not waiting at the plan"):
        await steering.approve(store, doc, "plan", by="o", producer="gateway", deadline_s=DAY)
    events = await steering.approve(store, doc, "moods", by="o", producer="gateway", deadline_s=DAY, mood=2)
    assert types(events) == ["checkpoint.approved.v1", "plan.changed.v1", "checkpoint.reached.v1"]
    reached = events[-1]
    assert isinstance(reached, CheckpointReached) and reached.checkpoint == "plan"
    assert reached.plan.style == warm and reached.plan.music.tempo_bpm == 82
    assert reached.deadline > now() + timedelta(hours=23)
    after = await store.get("G1")
    assert after is not None and after.checkpoint == "plan" and after.plan == reached.plan
    assert after.moods is not None and after.moods.chosen == 2 and after.plan_rev == 1
    # the same approval again (a second client, a retry without its Idempotency-Key) is a conflict
    with pytest.raises(SteeringConflict):
        await steering.approve(store, doc, "moods", by="o", producer="gateway", deadline_s=DAY, mood=2)


async def test_two_concurrent_plan_approvals_one_wins() -> None:
    store = FakeGenerationStore()
    doc = await waiting(store, "plan", ["plan"])
    first = await steering.approve(store, doc, "plan", by="o", producer="gateway", deadline_s=DAY)
    assert types(first) == ["checkpoint.approved.v1", "plan.completed.v1"]
    assert isinstance(first[-1], PlanCompleted) and first[-1].plan == doc.plan
    with pytest.raises(SteeringConflict, match="approved or left meanwhile"):
        await steering.approve(store, doc, "plan", by="o", producer="gateway", deadline_s=DAY)
    after = await store.get("G1")
    assert after is not None and after.status == "storyboarding" and after.checkpoint is None


async def test_plan_edits_at_the_plan_checkpoint_change_only_the_plan() -> None:
    store = FakeGenerationStore()
    doc = await waiting(store, "plan", ["plan", "storyboard"])
    assert doc.plan is not None
    beats = [b.model_copy(update={"caption": "Cold for 24 hours"}) if b.index == 1 else b for b in doc.plan.beats]
    edited = doc.plan.model_copy(update={"beats": beats})
    events = await steering.steer(store, doc, edited, [BeatChange(1, "caption")], source="edit", by="o",
                                  producer="gateway")
    assert types(events) == ["plan.changed.v1"]
    assert isinstance(events[0], PlanChanged) and events[0].beats == [1] and events[0].plan_rev == 1
    with pytest.raises(SteeringConflict, match="changed meanwhile"):  # made against revision 0: stale now
        await steering.steer(store, doc, edited, [], source="edit", by="o", producer="gateway")


async def test_a_frame_regeneration_at_the_storyboard_is_a_new_take_and_blocks_approval() -> None:
    store = FakeGenerationStore()
    doc = await waiting(store, "storyboard", ["storyboard"], beats_ready=True)
    assert doc.plan is not None
    warm = doc.plan.style.model_copy(update={"palette": ["#cc6633", "#ffddaa"]})
    events = await steering.steer(store, doc, doc.plan, [BeatChange(0, "frame", style=warm)], source="feedback",
                                  by="o", producer="gateway")
    assert types(events) == ["plan.changed.v1", "beat.updated.v1", "frame.requested.v1"]
    request = events[-1]
    assert isinstance(request, FrameRequested) and request.take == 1 and request.style == warm
    # a change of look keeps the beat's seed (the composition stays, the colours change); another take gets its own
    assert request.seed == doc.spec.seed and request.msg_id.endswith(":0:t1")
    doc = await store.get("G1")
    assert doc is not None and doc.beat(0).state == "regenerating" and doc.style_of(0) == warm  # type: ignore[union-attr]
    with pytest.raises(SteeringConflict, match="still rendering"):
        await steering.steer(store, doc, doc.plan, [BeatChange(0, "frame", new_take=True)],  # type: ignore[arg-type]
                             source="regenerate", by="o", producer="gateway")
    with pytest.raises(SteeringConflict, match="still regenerating"):
        await steering.approve(store, doc, "storyboard", by="o", producer="gateway", deadline_s=DAY)
    # another beat may be regenerated meanwhile
    other = await steering.steer(store, doc, doc.plan, [BeatChange(1, "frame", new_take=True, seed=42)],  # type: ignore[arg-type]
                                 source="regenerate", by="o", producer="gateway")
    assert isinstance(other[-1], FrameRequested) and other[-1].seed == 42 and other[-1].take == 1
    fresh = await steering.steer(store, await store.get("G1"), doc.plan, [BeatChange(2, "frame", new_take=True)],  # type: ignore[arg-type]
                                 source="regenerate", by="o", producer="gateway")
    assert isinstance(fresh[-1], FrameRequested) and fresh[-1].seed not in (None, doc.spec.seed)
    await store.move_beat("G1", 2, "frame_ready", take=1, expect_take=1)
    for beat in (0, 1):
        new = frame(beat, 1)
        await store.record_frame_take("G1", beat, new)
        assert await store.use_take("G1", beat, new)
        assert await store.move_beat("G1", beat, "frame_ready", take=1, expect_take=1)
    doc = await store.get("G1")
    assert doc is not None
    approved = await steering.approve(store, doc, "storyboard", by="o", producer="gateway", deadline_s=DAY)
    assert types(approved)[-1] == "storyboard.completed.v1"
    assert sum(isinstance(e, BeatUpdated) and e.state == "frame_approved" for e in approved) == 3
    board = approved[-1]
    assert isinstance(board, StoryboardCompleted)
    assert [f.image.key for f in board.frames][:2] == [frame(0, 1).image.key, frame(1, 1).image.key]
    after = await store.get("G1")
    assert after is not None and after.status == "chunking"


async def completed(store: FakeGenerationStore) -> GenerationDoc:
    doc = await waiting(store, "storyboard", ["storyboard"], beats_ready=True)
    assert doc.plan is not None
    for beat in doc.plan.beats:
        await store.chunk_done("G1", chunk(beat.index))
        await store.move_beat("G1", beat.index, "frame_approved")
    await store.enter("G1", "completed")
    done = await store.get("G1")
    assert done is not None and done.status == "completed"
    return done


def chunk(beat: int) -> ChunkEntry:
    return ChunkEntry(beat_index=beat, chunk_index=0, chunk_count=1, video=builders.ref(f"c{beat}.mp4"),
                      last_frame=builders.ref(f"c{beat}.png", "image/png"), duration_s=5.5,
                      requested_duration_s=5.0, model="offline-video")


async def test_a_change_after_completion_opens_one_version_that_reuses_everything_else() -> None:
    store = FakeGenerationStore()
    doc = await completed(store)
    assert doc.plan is not None
    events = await steering.steer(store, doc, doc.plan, [BeatChange(2, "frame", new_take=True)], source="regenerate",
                                  by="o", producer="gateway")
    assert types(events) == ["plan.changed.v1", "beat.updated.v1", "version.requested.v1"]
    request = events[-1]
    assert isinstance(request, VersionRequested) and request.ad_version == 2 and request.base_version == 1
    assert [(b.index, b.redo, b.take) for b in request.beats] == [(2, "frame", 1)]
    assert request.msg_id.endswith(":v2")
    after = await store.get("G1")
    assert after is not None and after.rendering_version == 2 and after.status == "completed"
    v2 = after.ad_version(2)
    assert v2 is not None and sorted(v2.chunking.chunks) == ["0-0", "1-0"]  # beat 3's chunks are rendered again
    assert sorted(v2.frames) == ["0", "1"]  # and its frame
    assert after.beat(2).video_seed == request.beats[0].seed  # type: ignore[union-attr]
    with pytest.raises(SteeringConflict, match="version 2 is rendering"):
        await steering.steer(store, after, doc.plan, [BeatChange(0, "video")], source="regenerate", by="o",
                             producer="gateway")
    with pytest.raises(SteeringConflict, match="nothing to render"):
        await steering.steer(store, doc.model_copy(update={"rendering_version": 0, "plan_rev": after.plan_rev}),
                             doc.plan, [], source="edit", by="o", producer="gateway")


async def test_a_failed_version_fails_alone_and_later_versions_pass_the_terminal_gate() -> None:
    store = FakeGenerationStore()
    doc = await completed(store)
    assert doc.plan is not None
    events = await steering.steer(store, doc, doc.plan, [BeatChange(1, "video")], source="regenerate", by="o",
                                  producer="gateway")
    request = events[-1]
    assert isinstance(request, VersionRequested) and request.beats[0].redo == "video"
    published = Published()
    worker = Worker("chunker", store, published)
    calls: list[Any] = []

    async def boom(event: VersionRequested) -> list[Event]:
        calls.append(event)
        raise steering_error()

    sub = Subscription(ConsumerSpec("chunker", "c", "version.requested.v1"), VersionRequested, boom,
                       stage="chunking")
    assert await worker.deliver(sub, FakeDelivery(request.subject), request) == "failed"
    assert calls, "a version's event of a completed generation is handled, not skipped as terminal"
    failed = published.events[-1]
    assert isinstance(failed, VersionFailed) and failed.ad_version == 2 and failed.stage == "chunking"
    after = await store.get("G1")
    assert after is not None and after.status == "completed" and after.latest_version == 1
    assert after.ad_version(2).state == "failed" and after.rendering_version == 0  # type: ignore[union-attr]
    # a first-version event of the completed generation is still skipped
    old = request.model_copy(update={"ad_version": 1})
    assert await worker.deliver(sub, FakeDelivery(old.subject), old) == "skipped_terminal"


def steering_error() -> Exception:
    from admint.core.errors import PermanentError

    return PermanentError("the video model refused the prompt")


async def test_the_sweeps_expire_waiting_generations_and_fail_slow_versions() -> None:
    store = FakeGenerationStore()
    await waiting(store, "plan", ["plan"])
    published = Published()
    assert await sweep_waiting(store, published, "planner", deadline_s=3600) == []
    store.docs["G1"]["waiting_since"] = now() - timedelta(hours=2)
    assert await sweep_waiting(store, published, "planner", deadline_s=3600) == ["G1"]
    assert await sweep_waiting(store, published, "planner", deadline_s=3600) == []
    expired = published.events[-1]
    assert isinstance(expired, GenerationExpired) and expired.checkpoint == "plan" and expired.TERMINAL
    assert "within 1 hours" in expired.reason
    doc = await store.get("G1")
    assert doc is not None and doc.status == "expired" and doc.error is not None

    other = FakeGenerationStore()
    done = await completed(other)
    await steering.steer(other, done, done.plan, [BeatChange(0, "video")], source="regenerate", by="o",  # type: ignore[arg-type]
                         producer="gateway")
    assert await sweep_versions(other, published, "planner", budget_s=3600) == []
    other.docs["G1"]["ad_versions"]["2"]["requested_at"] = (now() - timedelta(hours=2)).isoformat()
    assert await sweep_versions(other, published, "planner", budget_s=3600) == ["G1"]
    slow = published.events[-1]
    assert isinstance(slow, VersionFailed) and slow.retryable and slow.stage == "chunking"


async def test_checkpoint_approval_event_names_the_next_checkpoint() -> None:
    store = FakeGenerationStore()
    doc = await waiting(store, "moods", ["moods", "storyboard"])
    await store.record_moods("G1", MoodsSection(boards=[MoodBoardRecord(
        index=1, name="as planned", style=doc.plan.style, music=doc.plan.music, images=[])]))  # type: ignore[union-attr]
    doc = await store.get("G1")
    events = await steering.approve(store, doc, "moods", by="o", producer="gateway", deadline_s=DAY, mood=1)  # type: ignore[arg-type]
    approved = events[0]
    assert isinstance(approved, CheckpointApproved) and approved.next_checkpoint is None
    assert types(events)[-1] == "plan.completed.v1"  # no plan checkpoint asked for: on to the storyboard


def test_master_section_keeps_window_positions() -> None:
    master = MasterSection(video=builders.ref("m.mp4"), duration_s=15, frames=450, has_audio=True,
                           windows=[{"fingerprint": "ab", "start": 135, "frames": 30}])  # type: ignore[list-item]
    assert master.windows[0].start == 135
