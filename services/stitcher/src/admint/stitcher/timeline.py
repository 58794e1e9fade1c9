"""Smart-render planning: which frames are stream-copied and which small windows are re-encoded.

Pure frame arithmetic, no I/O. Every chunk is in the house format (closed GOPs), so a span that starts on a
keyframe and ends on a keyframe (or at the chunk's end) can be stream-copied. Only the crossfade windows between
beats are re-encoded: from the last keyframe at or before the overlap in the outgoing beat to the first keyframe
at or after the overlap in the incoming beat. A beat whose chunks hold more or fewer frames than the plan needs is
fitted (trimmed, or padded with its last frame) inside a re-encoded window at its tail, so the master always has
exactly the plan's frame count.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal


class TimelineError(ValueError):
    """The chunks cannot be joined as asked (e.g. a beat shorter than its two transition windows)."""


@dataclass(frozen=True)
class Clip:
    """One normalised chunk as probed: its id (e.g. "2-0"), frame count and keyframe indices (display order)."""

    id: str
    frames: int
    keyframes: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.frames <= 0:
            raise TimelineError(f"chunk {self.id} has no frames")
        if not self.keyframes or self.keyframes[0] != 0:
            raise TimelineError(f"chunk {self.id} does not start with a keyframe")


@dataclass(frozen=True)
class BeatClips:
    """The chunks of one beat in order, and how many frames the beat must contribute (incl. its overlap)."""

    index: int
    target_frames: int
    clips: tuple[Clip, ...]

    @property
    def frames(self) -> int:
        return sum(c.frames for c in self.clips)

    def keyframes(self) -> list[int]:
        """Beat-local keyframe indices (every chunk start is one)."""
        out: list[int] = []
        offset = 0
        for clip in self.clips:
            out.extend(offset + k for k in clip.keyframes if k < clip.frames)
            offset += clip.frames
        return out


@dataclass(frozen=True)
class Piece:
    """Frames [start, end) of one chunk; start is a keyframe, end a keyframe or the chunk's end."""

    clip: str
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Window:
    """A re-encoded span. xfade: `a` (fitted to a_frames) dissolves into `b` over `overlap` frames.

    fit: `a` alone, trimmed or padded to a_frames (a beat whose chunks do not have the planned length).
    """

    index: int
    kind: Literal["xfade", "fit"]
    a: tuple[Piece, ...]
    a_frames: int
    b: tuple[Piece, ...] = ()
    overlap: int = 0

    @property
    def a_source_frames(self) -> int:
        return sum(p.frames for p in self.a)

    @property
    def b_frames(self) -> int:
        return sum(p.frames for p in self.b)

    @property
    def out_frames(self) -> int:
        return self.a_frames + self.b_frames - self.overlap


@dataclass(frozen=True)
class Segment:
    """One entry of the final concat list: a stream-copied piece or a re-encoded window."""

    piece: Piece | None = None
    window: int | None = None


@dataclass
class Timeline:
    segments: list[Segment] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    cuts: dict[str, list[int]] = field(default_factory=dict)
    """Per chunk id: the keyframe indices where it must be split (stream copy) into pieces."""

    @property
    def total_frames(self) -> int:
        return sum(self.frames_of(s) for s in self.segments)

    def window_of(self, segment: Segment) -> Window:
        if segment.window is None:
            raise TimelineError("segment is a copied piece, not a window")
        return self.windows[segment.window]

    def frames_of(self, segment: Segment) -> int:
        return segment.piece.frames if segment.piece else self.window_of(segment).out_frames

    @property
    def copied_frames(self) -> int:
        return sum(s.piece.frames for s in self.segments if s.piece)

    @property
    def encoded_frames(self) -> int:
        return sum(w.out_frames for w in self.windows)

    def pieces_of(self, clip: Clip) -> list[Piece]:
        """The pieces a chunk is split into (one piece, the whole chunk, when it has no cuts)."""
        bounds = [0, *self.cuts.get(clip.id, []), clip.frames]
        return [Piece(clip.id, s, e) for s, e in pairwise(bounds)]


def _span(beat: BeatClips, start: int, end: int) -> list[Piece]:
    """Beat-local frames [start, end) as pieces of the beat's chunks."""
    out: list[Piece] = []
    offset = 0
    for clip in beat.clips:
        lo, hi = max(start, offset), min(end, offset + clip.frames)
        if lo < hi:
            out.append(Piece(clip.id, lo - offset, hi - offset))
        offset += clip.frames
    return out


def _tail_start(beat: BeatClips, keep: int, keyframes: list[int]) -> int:
    """Last keyframe at or before `keep` that still has frames after it (the tail window starts there)."""
    limit = min(keep, beat.frames - 1)
    return max(k for k in keyframes if k <= limit)


def plan_timeline(beats: Sequence[BeatClips], overlap_frames: int, max_fit: int | None = None) -> Timeline:
    """Plan the master: copy pieces and re-encoded windows in order, with the chunk cuts they need.

    `overlap_frames` is the crossfade length in frames (0 = hard cuts). Beat b's target includes the overlap
    for every beat but the last, so the master has sum(targets) - overlap * (beats - 1) frames. A beat whose
    chunks miss its target by more than `max_fit` frames is refused rather than visibly frozen or cut short.
    """
    if not beats:
        raise TimelineError("no beats to stitch")
    if max_fit is not None:
        off = [f"beat {b.index} has {b.frames} frames, needs {b.target_frames}" for b in beats
               if abs(b.frames - b.target_frames) > max_fit]
        if off:
            raise TimelineError("; ".join(off))
    x = overlap_frames
    if x < 0:
        raise TimelineError("overlap must be >= 0")
    kfs = [b.keyframes() for b in beats]
    n = len(beats)
    heads = [0] * n
    tails = [b.frames for b in beats]
    fit_tail = [False] * n
    for i, beat in enumerate(beats):
        if i > 0 and x > 0:
            later = [k for k in kfs[i] if k >= x]
            heads[i] = min(later) if later else beat.frames
        if i < n - 1 and x > 0:
            if beat.target_frames <= x:
                raise TimelineError(f"beat {beat.index} is not longer than the {x}-frame crossfade")
            tails[i] = _tail_start(beat, beat.target_frames - x, kfs[i])
        elif beat.frames != beat.target_frames:
            # no crossfade absorbs the difference: trim at a keyframe, or re-encode a fitted tail
            start = _tail_start(beat, beat.target_frames, kfs[i])
            if start == beat.target_frames:
                tails[i] = start
            else:
                tails[i], fit_tail[i] = start, True
        if heads[i] > tails[i]:
            raise TimelineError(
                f"beat {beat.index} is too short ({beat.frames} frames) for its transition windows "
                f"({heads[i]} frames in, tail from {tails[i]})"
            )

    timeline = Timeline()
    for i, beat in enumerate(beats):
        for piece in _span(beat, heads[i], tails[i]):
            timeline.segments.append(Segment(piece=piece))
        if i < n - 1 and x > 0:
            window = Window(
                index=len(timeline.windows), kind="xfade",
                a=tuple(_span(beat, tails[i], beat.frames)), a_frames=beat.target_frames - tails[i],
                b=tuple(_span(beats[i + 1], 0, heads[i + 1])), overlap=x,
            )
        elif fit_tail[i]:
            window = Window(
                index=len(timeline.windows), kind="fit",
                a=tuple(_span(beat, tails[i], beat.frames)), a_frames=beat.target_frames - tails[i],
            )
        else:
            continue
        timeline.windows.append(window)
        timeline.segments.append(Segment(window=window.index))

    _collect_cuts(timeline, beats)
    return timeline


def _collect_cuts(timeline: Timeline, beats: Sequence[BeatClips]) -> None:
    """Every piece boundary inside a chunk is a split point; all of them are keyframes by construction."""
    pieces = [s.piece for s in timeline.segments if s.piece]
    for w in timeline.windows:
        pieces.extend(w.a)
        pieces.extend(w.b)
    clips = {c.id: c for b in beats for c in b.clips}
    cuts: dict[str, set[int]] = {}
    for p in pieces:
        clip = clips[p.clip]
        for edge in (p.start, p.end):
            if 0 < edge < clip.frames:
                if edge not in clip.keyframes:
                    raise TimelineError(f"internal: cut of chunk {clip.id} at {edge} is not on a keyframe")
                cuts.setdefault(p.clip, set()).add(edge)
    timeline.cuts = {k: sorted(v) for k, v in cuts.items()}


def house_keyframes(frames: int, gop: int) -> tuple[int, ...]:
    """Keyframe indices of a house-format clip (every `gop` frames from 0): handy for tests and the bench."""
    return tuple(range(0, frames, gop))


def beat_targets(beat_durations_s: Sequence[float], overlap_s: float, fps: int) -> tuple[list[int], int]:
    """Frames each beat must contribute (its duration, plus the overlap unless it is last) and the overlap.

    The master then has round(sum(durations) * fps) frames: the overlaps are eaten by the crossfades.
    """
    x = round(overlap_s * fps)
    starts = [0.0]
    for d in beat_durations_s:
        starts.append(starts[-1] + d)
    # whole-frame boundaries from cumulative times, so rounding never drifts across beats
    bounds = [round(s * fps) for s in starts]
    last = len(beat_durations_s) - 1
    return [bounds[i + 1] - bounds[i] + (x if i < last else 0) for i in range(len(beat_durations_s))], x
