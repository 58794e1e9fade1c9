"""The storyboard's pure rules: fan-out items, cost entries, progress and assembly from the typed document."""

from typing import Any

import pytest

from admint.contracts.storyboard import FrameCompleted, PlanCompleted
from admint.core.document import DOCUMENT_VERSION, FrameEntry, GenerationDoc
from admint.core.keys import storyboard_key
from admint.storyboard import board
from tests.support import builders

pytestmark = pytest.mark.unit
GID = builders.GID


def planned() -> PlanCompleted:
    return PlanCompleted(
        generation_id=GID, producer="planner", spec=builders.spec(20), plan=builders.plan(20)
    )


def generation(**sections: Any) -> GenerationDoc:
    # version given explicitly: without it GenerationDoc's validator takes the kwargs for a version-1 document
    # and upgrade_v1 replaces storyboard.frames with the (absent) top-level v1 frames
    return builders.generation(GID, version=DOCUMENT_VERSION, **sections)


def entry(beat: int) -> FrameEntry:
    return FrameEntry(
        image=builders.ref(storyboard_key(GID, beat), "image/png"), model="flux-schnell", cost_usd=0.003
    )


def test_fan_out_carries_what_a_frame_needs_and_a_dedup_id_per_beat() -> None:
    event = planned()
    requests = board.frame_requests(event)
    assert [r.beat for r in requests] == event.plan.beats
    assert {r.beat_count for r in requests} == {4} and {r.product for r in requests} == {event.plan.product}
    assert [r.msg_id for r in requests] == [f"{GID}:frame.requested.v1:{i}" for i in range(4)]
    start = board.started(event)
    assert (start.stage, start.done, start.total, start.item) == ("storyboard", 0, 4, "start")


def test_a_frame_costs_one_entry_per_beat() -> None:
    cost = board.frame_cost(2, entry(2))
    assert (cost.key, cost.stage, cost.model, cost.units, cost.usd) == (
        "storyboard:2",
        "storyboard",
        "flux-schnell",
        1,
        0.003,
    )


def test_the_fan_in_records_what_the_frame_event_says_and_reports_progress() -> None:
    frame = entry(1)
    event = FrameCompleted(
        generation_id=GID,
        producer="storyboard",
        beat_index=1,
        beat_count=4,
        image=frame.image,
        model=frame.model,
        cost_usd=frame.cost_usd,
    )
    assert board.recorded(event) == frame
    progress = board.progress(event, 9)  # more than the total: a count is never shown past it
    assert (progress.done, progress.total, progress.item, progress.message) == (
        4,
        4,
        "1",
        "frame 2 of 4 ready",
    )


def test_assemble_reads_the_single_spec_and_plan_and_orders_the_frames() -> None:
    frames = {str(i): entry(i) for i in (3, 0, 2, 1)}
    doc = generation(
        spec=builders.spec(20), plan=builders.plan(20), storyboard={"total": 4, "frames": frames}
    )
    spec, plan, refs = board.assemble(doc, 4)
    assert spec == builders.spec(20) and plan == builders.plan(20)
    assert [(r.beat_index, r.image.key) for r in refs] == [(i, storyboard_key(GID, i)) for i in range(4)]


def test_assemble_refuses_a_board_with_a_hole_or_without_a_plan() -> None:
    frames = {str(i): entry(i) for i in (0, 2)}
    with pytest.raises(board.IncompleteStoryboard, match=r"frames missing \[1, 3\]"):
        board.assemble(generation(plan=builders.plan(20), storyboard={"frames": frames}), 4)
    frames = {str(i): entry(i) for i in range(4)}
    with pytest.raises(board.IncompleteStoryboard, match="plan is not recorded"):
        board.assemble(generation(storyboard={"frames": frames}), 4)
    with pytest.raises(board.IncompleteStoryboard, match="document is gone"):
        board.assemble(None, 4)
