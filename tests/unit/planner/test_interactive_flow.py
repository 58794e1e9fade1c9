"""The planner's interactive steps with fakes of its ports: the first checkpoint after planning, feedback
interpreted before anything changes, feedback that came with a regeneration applied to that beat at once."""

import pytest

from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationRequested, GenerationSpec
from admint.contracts.interactive import (
    BeatUpdated,
    CheckpointReached,
    FeedbackInterpreted,
    FeedbackRequested,
    MoodsRequested,
    RegenerateAsk,
)
from admint.contracts.storyboard import FrameRequested, PlanCompleted
from admint.core.docstore import now
from admint.core.document import FeedbackRecord, FrameEntry
from admint.planner.feedback_flow import handle_feedback_requested
from admint.planner.handlers import Ports, handle_generation_requested
from admint.planner.offline import OfflinePlanner
from tests.support import builders
from tests.support.fakes import FakeGenerationStore

pytestmark = pytest.mark.unit
GID = "GEN01STUDIO"
BRIEF = "Launch of NOIR perfume, luxurious, for women who own the night. Shop now."


def requested(checkpoints: list[str]) -> GenerationRequested:
    spec = GenerationSpec(brief=BRIEF, duration_s=20, size=FrameSize(width=180, height=320), seed=3,
                          interactive=bool(checkpoints), checkpoints=checkpoints)  # type: ignore[arg-type]
    return GenerationRequested(generation_id=GID, producer="gateway", owner="acme", spec=spec)


async def planned(checkpoints: list[str]) -> tuple[FakeGenerationStore, Ports, GenerationRequested, list]:
    docs = FakeGenerationStore()
    event = requested(checkpoints)
    await docs.create(builders.generation(GID, spec=event.spec))
    ports = Ports(docs=docs, planner=OfflinePlanner(), deadline_s=3600)
    return docs, ports, event, await handle_generation_requested(event, ports)


async def test_the_plan_checkpoint_waits_with_every_beat_planned() -> None:
    docs, ports, event, out = await planned(["plan", "storyboard"])
    *cards, reached = out
    assert all(isinstance(c, BeatUpdated) and c.state == "planned" for c in cards) and len(cards) >= 2
    assert isinstance(reached, CheckpointReached) and reached.checkpoint == "plan"
    assert (reached.deadline - now()).total_seconds() == pytest.approx(3600, abs=5)
    doc = await docs.get(GID)
    assert doc is not None and doc.status == "awaiting_approval" and doc.checkpoint == "plan"
    assert [b.state for b in doc.beats.values()] == ["planned"] * len(cards)
    again = await handle_generation_requested(event, ports)  # redelivery: the same announcements
    assert [e.msg_id for e in again] == [e.msg_id for e in out]
    await docs.approve(GID, "plan", doc.approvals.get("plan") or _approval(), next_checkpoint=None,
                       next_status="storyboarding")
    for beat in range(len(cards)):
        await docs.move_beat(GID, beat, "frame_ready")
    assert await handle_generation_requested(event, ports) == []  # past the checkpoint: nothing to re-announce


def _approval():  # type: ignore[no-untyped-def]
    from admint.core.document import ApprovalRecord

    return ApprovalRecord(at=now(), by="acme")


async def test_a_moods_checkpoint_asks_the_storyboard_for_boards_and_stays_planning() -> None:
    docs, _, _, out = await planned(["moods", "plan"])
    assert isinstance(out[-1], MoodsRequested) and out[-1].plan.beats
    assert await docs.status(GID) == "planning"


async def test_an_automatic_generation_goes_straight_on() -> None:
    docs, _, _, out = await planned([])
    assert [type(e) for e in out] == [PlanCompleted]
    doc = await docs.get(GID)
    assert doc is not None and doc.beats == {}


async def feedback(docs: FakeGenerationStore, message: str, regenerate: RegenerateAsk | None = None,
                   beat: int | None = None) -> FeedbackRequested:
    record = FeedbackRecord(id="F" + str(len((await docs.get(GID)).feedback)), message=message, at=now(),  # type: ignore[union-attr]
                            by="acme", beat=beat, regenerate=regenerate)
    assert await docs.add_feedback(GID, record)
    return FeedbackRequested(generation_id=GID, producer="gateway", feedback_id=record.id, message=message,
                             beat=beat, regenerate=regenerate)


async def test_plain_feedback_is_interpreted_and_recorded_but_not_applied() -> None:
    docs, ports, _, _ = await planned(["plan", "storyboard"])
    before = await docs.get(GID)
    event = await feedback(docs, "caption of beat 2: Own the night")
    (out,) = await handle_feedback_requested(event, ports)
    assert isinstance(out, FeedbackInterpreted) and not out.applied and out.problems == []
    assert out.intent.kind == "edit" and out.intent.edits[0].index == 1
    assert out.intent.edits[0].caption == "Own the night" and "Beat 2" in out.intent.understood
    doc = await docs.get(GID)
    assert doc is not None and doc.feedback[event.feedback_id].state == "interpreted"
    assert doc.plan == before.plan and doc.plan_rev == 0  # type: ignore[union-attr]
    (again,) = await handle_feedback_requested(event, ports)
    assert again.msg_id == out.msg_id and again.intent == out.intent  # type: ignore[attr-defined]


async def at_storyboard(docs: FakeGenerationStore) -> None:
    doc = await docs.get(GID)
    assert doc is not None and doc.plan is not None
    await docs.approve(GID, "plan", _approval(), next_checkpoint=None, next_status="storyboarding")
    for beat in doc.plan.beats:
        await docs.frame_done(GID, beat.index, FrameEntry(image=builders.ref(f"f{beat.index}.png", "image/png"),
                                                           model="offline-image"))
        await docs.move_beat(GID, beat.index, "frame_ready")
    assert await docs.wait_at(GID, "storyboard")


async def test_feedback_with_a_regeneration_is_applied_to_that_beat_as_a_new_take() -> None:
    docs, ports, _, _ = await planned(["plan", "storyboard"])
    await at_storyboard(docs)
    event = await feedback(docs, "warmer colours", RegenerateAsk(beat=0, what="frame"))
    out = await handle_feedback_requested(event, ports)
    assert [e.type for e in out] == ["feedback.interpreted.v1", "plan.changed.v1", "beat.updated.v1",
                                     "frame.requested.v1"]
    interpreted, request = out[0], out[-1]
    assert isinstance(interpreted, FeedbackInterpreted) and interpreted.applied
    assert isinstance(request, FrameRequested) and request.beat.index == 0 and request.take == 1
    doc = await docs.get(GID)
    assert doc is not None and doc.plan is not None
    assert request.style.palette != doc.plan.style.palette  # the beat's own, warmer look
    assert "warm colour grade" in request.beat.prompt
    assert doc.beat(0).state == "regenerating" and doc.feedback[event.feedback_id].state == "applied"  # type: ignore[union-attr]
    # a crash before the publish: the redelivery announces again and asks for the same take again
    again = await handle_feedback_requested(event, ports)
    assert [e.msg_id for e in again] == [interpreted.msg_id, request.msg_id]
    # the beat is busy now: a second regeneration of it is refused, and the owner is told why
    busy = await feedback(docs, "more dramatic", RegenerateAsk(beat=0, what="frame"))
    (refused,) = await handle_feedback_requested(busy, ports)
    assert isinstance(refused, FeedbackInterpreted) and not refused.applied
    assert refused.problems and "still rendering" in refused.problems[0].msg
