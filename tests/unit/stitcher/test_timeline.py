"""Smart-render planning: frame-exact masters, tiny re-encoded windows, cuts only on keyframes."""

import random

import pytest

from admint.stitcher.timeline import (
    BeatClips,
    Clip,
    Timeline,
    TimelineError,
    beat_targets,
    house_keyframes,
    plan_timeline,
)

pytestmark = pytest.mark.unit
GOP = 15


def clip(cid: str, frames: int, extra_keyframes: tuple[int, ...] = ()) -> Clip:
    return Clip(cid, frames, tuple(sorted(set(house_keyframes(frames, GOP)) | set(extra_keyframes))))


def beats_from(lengths: list[list[int]], targets: list[int]) -> list[BeatClips]:
    return [
        BeatClips(b, targets[b], tuple(clip(f"{b}-{c}", n) for c, n in enumerate(chunks)))
        for b, chunks in enumerate(lengths)
    ]


def rendered(timeline: Timeline) -> list[tuple[str, object]]:
    """The master frame by frame: ("copy", (clip, frame)) or ("win", window index) — to check order and count."""
    out: list[tuple[str, object]] = []
    for seg in timeline.segments:
        if seg.piece:
            out += [("copy", (seg.piece.clip, f)) for f in range(seg.piece.start, seg.piece.end)]
        else:
            out += [("win", seg.window)] * timeline.window_of(seg).out_frames
    return out


def test_beat_targets_add_the_overlap_to_every_beat_but_the_last() -> None:
    targets, x = beat_targets([5, 10, 5], 0.5, 30)
    assert (targets, x) == ([165, 315, 150], 15)
    assert sum(targets) - x * 2 == 600
    assert beat_targets([5, 5, 5], 0.0, 30) == ([150, 150, 150], 0)
    targets, x = beat_targets([5, 5, 5], 0.3, 24)
    assert x == 7 and sum(targets) - 2 * x == 360


def test_crossfades_re_encode_only_one_gop_per_join() -> None:
    targets, x = beat_targets([5, 5, 5], 0.5, 30)
    timeline = plan_timeline(beats_from([[165], [165], [150]], targets), x)
    assert timeline.total_frames == 450
    assert [w.kind for w in timeline.windows] == ["xfade", "xfade"]
    assert [w.out_frames for w in timeline.windows] == [15, 15]
    assert timeline.encoded_frames == 30 and timeline.copied_frames == 420
    assert timeline.cuts == {"0-0": [150], "1-0": [15, 150], "2-0": [15]}
    w = timeline.windows[0]
    assert [(p.clip, p.start, p.end) for p in w.a] == [("0-0", 150, 165)]
    assert [(p.clip, p.start, p.end) for p in w.b] == [("1-0", 0, 15)]


def test_multi_chunk_beats_join_with_plain_cuts_and_window_on_the_last_chunk() -> None:
    targets, x = beat_targets([5, 10, 5], 0.5, 30)
    timeline = plan_timeline(beats_from([[165], [150, 150, 15], [150]], targets), x)
    assert timeline.total_frames == 600
    second = timeline.windows[1]
    assert [(p.clip, p.start, p.end) for p in second.a] == [("1-2", 0, 15)]
    assert "1-1" not in timeline.cuts and "1-2" not in timeline.cuts  # whole chunks, no split needed
    order = [s.piece.clip if s.piece else f"w{s.window}" for s in timeline.segments]
    assert order == ["0-0", "w0", "1-0", "1-1", "w1", "2-0"]


def test_overlap_not_on_a_gop_boundary_widens_the_window_but_keeps_the_length() -> None:
    targets, x = beat_targets([5, 5], 0.3, 30)  # 9-frame crossfade, keyframes every 15
    timeline = plan_timeline(beats_from([[159], [150]], targets), x)
    (w,) = timeline.windows
    # tail from the keyframe at 150 (9 frames, all overlap), head up to the keyframe at 15
    assert (w.a_frames, w.b_frames, w.overlap, w.out_frames) == (9, 15, 9, 15)
    assert timeline.total_frames == 300


def test_keyframes_forced_at_the_overlap_make_windows_exactly_the_crossfade() -> None:
    targets, x = beat_targets([5, 5], 0.3, 30)
    beats = [
        BeatClips(0, targets[0], (clip("0-0", 159, extra_keyframes=(150,)),)),
        BeatClips(1, targets[1], (clip("1-0", 150, extra_keyframes=(9,)),)),
    ]
    (w,) = plan_timeline(beats, x).windows
    assert (w.a_frames, w.b_frames, w.out_frames) == (9, 9, 9)


def test_hard_cuts_copy_everything() -> None:
    targets, x = beat_targets([5, 5, 5], 0.0, 30)
    timeline = plan_timeline(beats_from([[150], [150], [150]], targets), x)
    assert timeline.windows == [] and timeline.cuts == {}
    assert timeline.total_frames == 450 and timeline.encoded_frames == 0


@pytest.mark.parametrize("delta", [-3, -1, 1, 2])
def test_a_beat_with_a_few_frames_too_many_or_few_is_fitted_inside_its_crossfade(delta: int) -> None:
    targets, x = beat_targets([5, 5], 0.5, 30)
    timeline = plan_timeline(beats_from([[165 + delta], [150]], targets), x)
    (w,) = timeline.windows
    assert w.a_source_frames == 15 + delta and w.a_frames == 15
    assert timeline.total_frames == 300


@pytest.mark.parametrize(
    ("target", "frames", "kind", "cuts"),
    [(150, 152, None, {"1-0": [150]}), (150, 165, None, {"1-0": [150]}), (150, 147, "fit", {"1-0": [135]}),
     (140, 142, "fit", {"1-0": [135]})],
)
def test_last_beat_of_the_wrong_length_is_trimmed_on_a_keyframe_or_fitted(
    target: int, frames: int, kind: str | None, cuts: dict[str, list[int]]
) -> None:
    timeline = plan_timeline(beats_from([[150], [frames]], [150, target]), 0)
    assert timeline.total_frames == 150 + target
    assert [w.kind for w in timeline.windows] == ([kind] if kind else [])
    assert timeline.cuts == cuts


def test_a_beat_too_short_for_its_windows_is_refused() -> None:
    with pytest.raises(TimelineError, match="too short"):
        plan_timeline(beats_from([[165], [20], [150]], [165, 20, 150]), 15)
    with pytest.raises(TimelineError, match="not longer"):
        plan_timeline(beats_from([[10], [150]], [10, 150]), 15)


def test_clips_must_start_on_a_keyframe() -> None:
    with pytest.raises(TimelineError):
        Clip("0-0", 10, (3,))


def test_random_layouts_are_frame_exact_in_order_and_cut_only_on_keyframes() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 6)
        durations = [rng.choice([5, 10, 15]) for _ in range(n)]
        fps = rng.choice([24, 25, 30])
        overlap_s = rng.choice([0.0, 0.25, 0.5, 1.0, 2.0])
        targets, x = beat_targets(durations, overlap_s, fps)
        chunk_len = rng.choice([4, 5, 6]) * fps
        beats = []
        for b, target in enumerate(targets):
            actual = target + rng.choice([0, 0, 0, -2, -1, 1, 2])
            sizes = [chunk_len] * (actual // chunk_len) + ([actual % chunk_len] if actual % chunk_len else [])
            beats.append(BeatClips(b, target, tuple(clip(f"{b}-{c}", s) for c, s in enumerate(sizes))))
        timeline = plan_timeline(beats, x)
        expected = round(sum(durations) * fps)
        assert timeline.total_frames == expected
        frames = rendered(timeline)
        assert len(frames) == expected
        copies = [f for kind, f in frames if kind == "copy"]
        keyed = [(int(c.split("-")[0]), int(c.split("-")[1]), i) for c, i in copies]  # type: ignore[union-attr]
        assert keyed == sorted(keyed)  # beats and chunks in order, frames ascending, nothing twice
        clips = {c.id: c for b in beats for c in b.clips}
        for cid, cuts in timeline.cuts.items():
            assert set(cuts) <= set(clips[cid].keyframes)
        # everything re-encoded is at most a GOP either side of each crossfade (plus the fitting)
        for w in timeline.windows:
            assert w.out_frames <= 2 * GOP + x + 2 if fps == 30 else True
