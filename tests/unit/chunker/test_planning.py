"""Chunk planning: counts per beat, frame-exact lengths, transition overlap on every beat but the last."""

import math

import pytest

from admint.chunker.planning import (
    native_chunk_frames,
    plan_beat,
    plan_chunks,
    rendered_beat_length_s,
    total_chunks,
)
from admint.contracts.generation import Transition
from tests.support.builders import plan

pytestmark = pytest.mark.unit


def test_overlap_lengthens_every_beat_but_the_last() -> None:
    xfade = Transition(kind="crossfade", duration_s=0.5)
    assert rendered_beat_length_s(5, is_last=False, transition=xfade) == 5.5
    assert rendered_beat_length_s(5, is_last=True, transition=xfade) == 5.0
    assert rendered_beat_length_s(10, is_last=False, transition=Transition(kind="cut", duration_s=0.5)) == 10


@pytest.mark.parametrize(
    ("length_s", "chunk_s", "expected"),
    [
        (5.5, 5.0, [150, 15]),  # a crossfaded 5 s beat on a 5 s model: one full chunk and a 0.5 s one
        (5.0, 5.0, [150]),  # the last beat fits exactly
        (10.5, 5.0, [150, 150, 15]),
        (15.0, 6.0, [180, 180, 90]),  # hailuo-like 6 s chunks
        (5.5, 6.0, [165]),  # one chunk, cut shorter than the model made it
        (10.5, 4.0, [120, 120, 75]),
    ],
)
def test_beat_is_split_into_native_chunks_with_a_shorter_last(length_s: float, chunk_s: float,
                                                              expected: list[int]) -> None:
    chunks = plan_beat(3, length_s, chunk_duration_s=chunk_s, fps=30)
    assert [c.needed_frames for c in chunks] == expected
    assert len(chunks) == math.ceil(round(length_s * 30) / round(chunk_s * 30))
    assert sum(c.needed_frames for c in chunks) == round(length_s * 30)
    assert [c.offset_frames for c in chunks] == [sum(expected[:i]) for i in range(len(expected))]
    assert all(c.chunk_count == len(expected) and c.beat_index == 3 for c in chunks)
    assert all(c.requested_duration_s == chunk_s for c in chunks)
    assert [c.is_last_of_beat for c in chunks] == [False] * (len(expected) - 1) + [True]


def test_durations_are_whole_frames() -> None:
    chunks = plan_beat(0, 5.5, chunk_duration_s=5.0, fps=30)
    assert chunks[1].needed_duration_s == pytest.approx(0.5)
    assert chunks[1].beat_offset_s == pytest.approx(5.0)
    assert chunks[1].beat_length_s == pytest.approx(5.5)
    assert chunks[1].item == "0-1"
    # 24 fps: 5.5 s is 132 frames; a 5 s model makes 120
    assert [c.needed_frames for c in plan_beat(0, 5.5, chunk_duration_s=5.0, fps=24)] == [120, 12]


def test_native_chunk_frames_floor_and_minimum() -> None:
    assert native_chunk_frames(5.0, 30) == 150
    assert native_chunk_frames(5.06, 30) == 151
    assert native_chunk_frames(0.01, 30) == 1


def test_plan_chunks_covers_the_plan_duration_plus_overlaps() -> None:
    p = plan(30)  # six 5 s beats
    beats = plan_chunks(p, Transition(duration_s=0.5), chunk_duration_s=5.0, fps=30)
    assert [len(b) for b in beats] == [2, 2, 2, 2, 2, 1]
    assert total_chunks(beats) == 11
    rendered = sum(c.needed_frames for b in beats for c in b)
    assert rendered == 30 * 30 + 5 * 15  # the master (900 frames) + five crossfades eaten back
    cut = plan_chunks(p, Transition(kind="cut", duration_s=0), chunk_duration_s=5.0, fps=30)
    assert [len(b) for b in cut] == [1] * 6


def test_rejects_empty_beats() -> None:
    with pytest.raises(ValueError):
        plan_beat(0, 0, chunk_duration_s=5, fps=30)


def test_fan_out_starts_the_beat_with_the_most_left_to_render_first() -> None:
    """The longest chain of chunks is the chunk stage's critical path: it is requested before shorter beats
    (ties keep beat order), so it never waits in the queue behind them."""
    from admint.chunker.fanout import plan_fan_out
    from admint.contracts.storyboard import FrameRef, StoryboardCompleted
    from admint.core import keys
    from admint.core.document import ChunkingSection
    from tests.support import builders

    plan = builders.plan(20)
    beats = [b.model_copy(update={"start_s": s, "duration_s": d})
             for b, s, d in zip(plan.beats, (0, 4, 8, 18), (4, 4, 10, 2), strict=True)]
    plan = plan.model_copy(update={"beats": beats})
    frames = [FrameRef(beat_index=b.index, image=builders.ref(keys.storyboard_key(builders.GID, b.index),
                                                              "image/png")) for b in beats]
    event = StoryboardCompleted(generation_id=builders.GID, producer="storyboard", spec=builders.spec(20),
                                plan=plan, frames=frames)
    fan_out = plan_fan_out(event, ChunkingSection(), model="m", chunk_duration_s=5.0)
    assert [s.chunk.beat_index for s in fan_out.starts] == [2, 0, 1, 3]
