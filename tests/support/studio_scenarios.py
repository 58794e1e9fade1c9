"""Scenarios of the interactive store methods, run against the in-memory fake (unit) and the real MongoDB-wire
server (integration): checkpoints move forward only and once, beat cards never go backwards, takes are claimed
once each, feedback is interpreted and applied once, a version is opened once and ends once."""

from datetime import timedelta

from admint.contracts.feedback import FeedbackIntent
from admint.contracts.interactive import BeatRedo
from admint.core.docstore import GenerationRepository, now
from admint.core.document import ApprovalRecord, FeedbackRecord, FrameEntry, MasterSection, VersionSection
from tests.support import builders


async def checkpoints_move_forward_once(docs: GenerationRepository, gid: str) -> None:
    spec = builders.spec(interactive=True, checkpoints=["moods", "plan", "storyboard"])
    await docs.create(builders.generation(gid, owner="o", spec=spec))
    assert await docs.store_plan(gid, builders.plan())
    assert await docs.wait_at(gid, "moods")
    assert await docs.wait_at(gid, "moods")  # idempotent
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "awaiting_approval" and doc.checkpoint == "moods"
    assert doc.waiting_since is not None and "awaiting_approval" in doc.timeline
    assert not await docs.store_plan(gid, builders.plan())  # planning is behind a waiting generation
    record = ApprovalRecord(at=now(), by="o", mood=2)
    assert await docs.approve(gid, "moods", record, next_checkpoint="plan", next_status=None)
    assert not await docs.approve(gid, "moods", record, next_checkpoint="plan", next_status=None)  # only once
    assert not await docs.wait_at(gid, "moods")  # never back to an earlier checkpoint
    doc = await docs.get(gid)
    assert doc is not None and doc.checkpoint == "plan" and doc.approvals["moods"].mood == 2
    assert await docs.approve(gid, "plan", record, next_checkpoint=None, next_status="storyboarding")
    assert await docs.start_storyboard(gid, 3, "offline-image")  # the storyboard enters its status again
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "storyboarding" and doc.checkpoint is None
    assert await docs.wait_at(gid, "storyboard")
    assert not await docs.start_storyboard(gid, 3, "offline-image")  # a stale plan.completed cannot go back
    await docs.plan_beats(gid, 3)
    assert await docs.move_beat(gid, 1, "frame_ready")
    assert await docs.start_take(gid, 1, 1, seed=5, where={"status": "awaiting_approval"})
    # a busy beat blocks the approval of the storyboard
    assert not await docs.approve(gid, "storyboard", record, next_checkpoint=None, next_status="chunking", beats=3)
    assert await docs.move_beat(gid, 1, "frame_ready", take=1, expect_take=1)
    assert await docs.approve(gid, "storyboard", record, next_checkpoint=None, next_status="chunking", beats=3)
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "chunking" and doc.checkpoint is None


async def waiting_generations_expire_or_cancel(docs: GenerationRepository, gid: str, other: str) -> None:
    for g in (gid, other):
        await docs.create(builders.generation(g, owner="o", spec=builders.spec(interactive=True,
                                                                                checkpoints=["plan"])))
        assert await docs.wait_at(g, "plan")
    assert gid in await docs.waiting_too_long(now() + timedelta(seconds=5))
    assert gid not in await docs.waiting_too_long(now() - timedelta(hours=1))
    assert not await docs.expire(gid, "storyboard", "wrong checkpoint")
    assert await docs.expire(gid, "plan", "nobody approved the plan within 7 days")
    assert not await docs.expire(gid, "plan", "again")
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "expired" and doc.error is not None
    assert doc.error.reason == "nobody approved the plan within 7 days"
    assert not await docs.approve(gid, "plan", ApprovalRecord(at=now(), by="o"), next_checkpoint=None,
                                  next_status="storyboarding")
    assert await docs.fail(other, "storyboard", "cancel-like end from a checkpoint") is True


async def beat_cards_never_go_backwards(docs: GenerationRepository, gid: str) -> None:
    await docs.create(builders.generation(gid, owner="o"))
    await docs.plan_beats(gid, 2)
    assert await docs.move_beat(gid, 0, "frame_ready")
    assert await docs.move_beat(gid, 0, "frame_approved")
    assert await docs.move_beat(gid, 0, "rendering")
    assert not await docs.move_beat(gid, 0, "frame_ready")  # a redelivered frame cannot take it back
    assert await docs.move_beat(gid, 0, "video_ready")
    assert await docs.move_beat(gid, 0, "video_ready")  # idempotent
    # takes are claimed once each, in order
    assert await docs.start_take(gid, 0, 1, seed=11, where={})
    assert not await docs.start_take(gid, 0, 1, seed=11, where={})  # busy (regenerating)
    frame = FrameEntry(image=builders.ref("t1.png", "image/png"), model="offline-image", take=1, seed=11)
    await docs.record_frame_take(gid, 0, frame)
    assert await docs.use_take(gid, 0, frame)
    assert await docs.move_beat(gid, 0, "frame_ready", take=1, expect_take=1)
    assert not await docs.start_take(gid, 0, 1, seed=11, where={})  # take 1 is spent: the next is 2
    assert await docs.start_take(gid, 0, 2, seed=12, where={})
    stale = FrameEntry(image=builders.ref("t1b.png", "image/png"), model="offline-image", take=1)
    assert not await docs.use_take(gid, 0, stale)  # an older take finishing late does not replace the newer
    assert not await docs.move_beat(gid, 0, "frame_ready", take=1, expect_take=1)
    doc = await docs.get(gid)
    assert doc is not None and doc.beat(0) is not None
    assert doc.beat(0).state == "regenerating" and doc.beat(0).take == 2  # type: ignore[union-attr]
    assert doc.storyboard.frame(0) == frame and doc.storyboard.take(0, 1) == frame
    assert await docs.move_beat(gid, 0, "failed", reason="image model refused")
    assert await docs.start_take(gid, 0, 3, seed=13, where={})  # a failed beat can be regenerated again


async def feedback_is_interpreted_and_applied_once(docs: GenerationRepository, gid: str) -> None:
    await docs.create(builders.generation(gid, owner="o"))
    record = FeedbackRecord(id="F1", message="warmer", at=now(), by="o")
    assert await docs.add_feedback(gid, record)
    assert not await docs.add_feedback(gid, record)
    intent = FeedbackIntent(kind="approve", understood="Looks good: approve.", interpreter="offline-rules",
                            confidence=1.0)
    assert await docs.interpreted(gid, "F1", intent, [])
    assert not await docs.interpreted(gid, "F1", intent, [])
    assert await docs.feedback_applied(gid, "F1")
    assert not await docs.feedback_applied(gid, "F1")
    doc = await docs.get(gid)
    assert doc is not None and doc.feedback["F1"].state == "applied" and doc.feedback["F1"].intent == intent


async def versions_open_once_and_end_once(docs: GenerationRepository, gid: str) -> None:
    await docs.create(builders.generation(gid, owner="o"))
    plan = builders.plan()
    assert await docs.store_plan(gid, plan)
    version = VersionSection(number=2, base=1, plan=plan, beats=[BeatRedo(index=2, redo="frame", take=1)],
                             requested_at=now())
    assert not await docs.open_version(gid, version, 0)  # not completed yet
    assert await docs.enter(gid, "completed")
    assert await docs.open_version(gid, version, 0)
    assert not await docs.open_version(gid, version.model_copy(update={"number": 3}), 1)  # one at a time
    frame = FrameEntry(image=builders.ref("v2.png", "image/png"), model="offline-image", take=1)
    assert await docs.version_frame_done(gid, 2, 2, frame) == 1
    assert await docs.version_frame_done(gid, 2, 2, frame) == 1
    master = MasterSection(video=builders.ref(f"generations/{gid}/v2/master.mp4"), duration_s=15, frames=450,
                           has_audio=True)
    assert await docs.record_version_master(gid, 2, master)
    assert await docs.complete_version(gid, 2, 0.25)
    assert not await docs.complete_version(gid, 2, 0.25)
    assert not await docs.fail_version(gid, 2, "stitching", "late failure")
    doc = await docs.get(gid)
    assert doc is not None and doc.latest_version == 2 and doc.rendering_version == 0
    v2 = doc.ad_version(2)
    assert v2 is not None and v2.state == "completed" and v2.master == master and v2.cost_usd == 0.25
    assert v2.frames["2"] == frame and doc.plan_rev == 1
    third = version.model_copy(update={"number": 3, "requested_at": now() - timedelta(hours=2)})
    assert await docs.open_version(gid, third, 1)
    assert (gid, 3) in await docs.versions_rendering_since(now() - timedelta(hours=1))
    assert await docs.fail_version(gid, 3, "chunking", "video model failed", retryable=True)
    doc = await docs.get(gid)
    assert doc is not None and doc.latest_version == 2 and doc.ad_version(3).state == "failed"  # type: ignore[union-attr]
