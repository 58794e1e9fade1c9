"""What the master must be, decided before any media work and checked after it (pure, no I/O).

The chunks must cover the plan (beats 0..n-1, chunks 0..k-1 each); each beat contributes its planned length plus
the crossfade overlap (all but the last), so the master is exactly the plan's length; a render that misses it by
more than the tolerance is refused. What the render gave is recorded as the document's master section.
"""

from dataclasses import dataclass
from pathlib import Path

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.chunks import ChunksCompleted
from admint.core.document import MasterSection, WindowRecord
from admint.core.errors import PermanentError
from admint.stitcher.ports import StitchResult
from admint.stitcher.timeline import beat_targets


@dataclass(frozen=True)
class MasterPlan:
    targets: list[int]
    """Frames each beat contributes, its crossfade overlap included."""
    overlap: int
    fps: int
    max_fit: int
    """Frames a beat's chunks may miss its target by and still be fitted."""

    @property
    def expected_frames(self) -> int:
        return sum(self.targets) - self.overlap * (len(self.targets) - 1)

    @property
    def duration_s(self) -> float:
        return self.expected_frames / self.fps


@dataclass(frozen=True)
class Bed:
    """What became of the music: a bed file, or none (music off, or failed with the reason)."""

    path: Path | None = None
    model: str | None = None
    error: str | None = None


def check_chunks(event: ChunksCompleted) -> None:
    """Every beat of the plan has chunks 0..k-1, nothing else."""
    seen: dict[int, list[int]] = {}
    for c in event.chunks:
        seen.setdefault(c.beat_index, []).append(c.chunk_index)
    beats = len(event.plan.beats)
    missing = [b for b in range(beats) if b not in seen]
    extra = [b for b in seen if b >= beats]
    holes = [b for b, idx in seen.items() if sorted(idx) != list(range(len(idx)))]
    if missing or extra or holes:
        raise PermanentError(
            "chunks do not cover the plan",
            detail=f"beats without chunks {missing}, unknown beats {extra}, beats with gaps/duplicates {holes}",
        )


def plan_master(event: ChunksCompleted, max_fit_s: float) -> MasterPlan:
    """The frame budget of the master (after checking the chunks cover the plan)."""
    check_chunks(event)
    spec = event.spec
    targets, overlap = beat_targets([b.duration_s for b in event.plan.beats], spec.transition.overlap_s, spec.fps)
    return MasterPlan(targets, overlap, spec.fps, round(max_fit_s * spec.fps))


def check_length(frames: int, plan: MasterPlan, tolerance: int, plan_duration_s: float) -> None:
    if abs(frames - plan.expected_frames) > tolerance:
        raise PermanentError(
            f"master has {frames} frames, the plan needs {plan.expected_frames} "
            f"({plan_duration_s}s at {plan.fps} fps)"
        )


def master_section(
    video: ArtifactRef, music: ArtifactRef | None, result: StitchResult, bed: Bed, fps: int
) -> MasterSection:
    return MasterSection(
        video=video, music=music, duration_s=round(result.frames / fps, 6), frames=result.frames,
        has_audio=result.has_audio, music_model=bed.model, music_error=bed.error,
        copied_frames=result.copied_frames, encoded_frames=result.encoded_frames,
        transition_windows=result.windows, normalised_chunks=result.normalised,
        reused_windows=result.reused_windows,
        windows=[WindowRecord(fingerprint=w.fingerprint, start=w.start, frames=w.frames) for w in result.placed],
    )
