"""Score a clip or a master: sample it once, run every dimension on the sample, combine.

The CPU-bound part runs in a worker thread at the media tools' nice level, so a service's event loop stays
responsive while it scores.
"""

import asyncio
import time
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from admint.scorer.captions import CaptionMask, caption_band, caption_legibility
from admint.scorer.consistency import subject_consistency
from admint.scorer.dimensions import Dimension
from admint.scorer.joins import TransitionKind, join_smoothness, join_windows
from admint.scorer.loudness import Loudness, LoudnessTarget, loudness_compliance, measure_loudness
from admint.scorer.media_tools import PlacedImage, in_tool_thread, probe
from admint.scorer.overall import Weights, overall_score
from admint.scorer.picture import colourfulness, contrast, exposure, sharpness
from admint.scorer.sampling import SampledVideo, Sampling, sample_video
from admint.scorer.signals import FrameSignals
from admint.scorer.temporal import black_segments, frozen_segments, motion_smoothness, temporal_flicker

Scores = dict[str, float | None]


class QualityReport(BaseModel):
    """Quality of one video: each measured dimension and the overall score (0–100, higher is better)."""

    model_config = ConfigDict(frozen=True)

    dimensions: dict[str, float] = Field(description="Score per measured dimension (unmeasured ones absent).")
    overall: float = Field(description="Weighted geometric mean of the dimensions (weights.yaml).")
    sampled_frames: int = Field(description="Frames decoded and analysed.")
    analysis_size: tuple[int, int] = Field(description="(width, height) the frames were analysed at.")
    seconds: float = Field(description="Wall-clock seconds the scoring took (decode included).")
    integrated_lufs: float | None = Field(default=None, description="Measured integrated loudness (masters).")
    true_peak_dbtp: float | None = Field(default=None, description="Measured true peak (masters).")


def overlay_rows(video: SampledVideo) -> tuple[int, int]:
    """The caption band's rows at the analysis size: motion is measured away from burnt-in overlays."""
    band = caption_band(*video.source_size)
    scale = video.analysis_size[1] / video.source_size[1]
    return round(band.y0 * scale), round(band.y1 * scale)


def picture_and_motion_scores(video: SampledVideo, signals: FrameSignals, stills: int) -> Scores:
    """Every dimension that needs nothing but the frames."""
    picked = video.stills(stills)
    return {
        Dimension.SHARPNESS: sharpness(picked),
        Dimension.EXPOSURE: exposure(picked),
        Dimension.CONTRAST: contrast(picked),
        Dimension.COLOURFULNESS: colourfulness(picked),
        Dimension.FLICKER: temporal_flicker(signals),
        Dimension.MOTION_SMOOTHNESS: motion_smoothness(signals),
        Dimension.FROZEN_SEGMENTS: frozen_segments(signals),
        Dimension.BLACK_SEGMENTS: black_segments(signals),
    }


def _clip_scores(video: SampledVideo, sampling: Sampling, caption: CaptionMask | None) -> Scores:
    signals = FrameSignals.measure(video.frames, video.fps, overlay_rows=overlay_rows(video))
    scores = picture_and_motion_scores(video, signals, sampling.stills)
    scores[Dimension.SUBJECT_CONSISTENCY] = subject_consistency(video.stills(sampling.stills))
    if caption is not None and video.crops is not None:
        scores[Dimension.CAPTION_LEGIBILITY] = caption_legibility(video.crops, caption)
    return scores


def _report(scores: Scores, video: SampledVideo, started: float, weights: Weights | None,
            loudness: Loudness | None = None) -> QualityReport:
    measured = {str(name): round(score, 2) for name, score in scores.items() if score is not None}
    return QualityReport(dimensions=measured, overall=round(overall_score(measured, weights), 2),
                         sampled_frames=len(video.frames), analysis_size=video.analysis_size,
                         seconds=round(time.perf_counter() - started, 3),
                         integrated_lufs=loudness.integrated_lufs if loudness else None,
                         true_peak_dbtp=loudness.true_peak_dbtp if loudness else None)


async def score_clip(path: Path, *, caption: PlacedImage | None = None,
                     caption_window_s: tuple[float, float] | None = None, sampling: Sampling = Sampling(),
                     weights: Weights | None = None) -> QualityReport:
    """Score one chunk. `caption` is the caption burnt into it, as `render_caption(text, width, height)` lays
    it out (omit it for a chunk without a caption), and `caption_window_s` when it is fully shown (the whole
    clip by default). A chunk has no audio and no joins."""
    started = time.perf_counter()
    info = await probe(Path(path))
    mask = CaptionMask.of(caption, info.width, info.height) if caption is not None else None
    video = await sample_video(Path(path), sampling, crop=mask.box if mask else None, crops=sampling.stills,
                               crop_window_s=caption_window_s if mask else None, info=info)
    scores = await in_tool_thread(_clip_scores, video, sampling, mask)
    return _report(scores, video, started, weights)


def beats_between(video: SampledVideo, signals: FrameSignals, transitions_s: Sequence[float],
                  crossfade_s: float, stills_per_beat: int) -> list[np.ndarray]:
    """Evenly spaced frames of each beat, leaving out the transition windows (where two beats mix)."""
    inside = np.ones(len(video.frames), dtype=bool)
    for window in join_windows(signals, transitions_s, crossfade_s):
        inside[window] = False
        inside[window + 1] = False
    edges = [0, *(round(t * video.fps) for t in sorted(transitions_s)), len(video.frames)]
    beats = []
    for start, end in pairwise(edges):
        indices = np.arange(start, min(end, len(video.frames)))
        indices = indices[inside[indices]]
        if len(indices) >= 2:
            picks = np.linspace(0, len(indices) - 1, min(stills_per_beat, len(indices))).round().astype(int)
            beats.append(video.frames[indices[np.unique(picks)]])
    return beats


def _master_scores(video: SampledVideo, sampling: Sampling, transitions_s: Sequence[float],
                   kind: TransitionKind, crossfade_s: float) -> Scores:
    signals = FrameSignals.measure(video.frames, video.fps, overlay_rows=overlay_rows(video))
    scores = picture_and_motion_scores(video, signals, sampling.stills)
    span = crossfade_s if kind == "crossfade" else 0.0
    beats = beats_between(video, signals, transitions_s, span, max(4, sampling.stills // 2))
    per_beat = [s for s in (subject_consistency(b) for b in beats) if s is not None]
    scores[Dimension.SUBJECT_CONSISTENCY] = float(np.mean(per_beat)) if per_beat else None
    scores[Dimension.JOIN_SMOOTHNESS] = join_smoothness(signals, transitions_s, kind=kind,
                                                        crossfade_s=crossfade_s)
    return scores


async def score_master(path: Path, transitions_s: Sequence[float] = (), *,
                       transition_kind: TransitionKind = "crossfade", crossfade_s: float = 0.5,
                       loudness_target: LoudnessTarget = LoudnessTarget(), sampling: Sampling = Sampling(),
                       weights: Weights | None = None) -> QualityReport:
    """Score a stitched master. `transitions_s` are the times its joins begin (seconds from the start);
    subject consistency is scored per beat (between joins) and averaged; loudness when it has audio.
    Captions are scored on the chunks (the master carries the chunks' pixels)."""
    started = time.perf_counter()
    info = await probe(Path(path))
    sampled, measured = await asyncio.gather(
        sample_video(Path(path), sampling, info=info),
        measure_loudness(Path(path)) if info.has_audio else asyncio.sleep(0, None),
    )
    scores = await in_tool_thread(_master_scores, sampled, sampling, transitions_s, transition_kind,
                                     crossfade_s)
    if measured is not None:
        scores[Dimension.LOUDNESS] = loudness_compliance(measured, loudness_target)
    return _report(scores, sampled, started, weights, measured)
