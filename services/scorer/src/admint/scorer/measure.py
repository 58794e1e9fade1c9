"""The VideoScorer port on the measurement library (report.py): an adapter, the scorer's one door to media work.

It renders the chunk's caption exactly as the chunker burnt it in (`render_caption` at the chunk's size) so caption
legibility knows which pixels are letters, turns media failures into ScoringFailed (recorded, never retried), and
measures the CPU each video costs: this process's and its ffmpeg children's, over the scoring (exact when one
video is scored at a time, the default).
"""

import resource
from collections.abc import Awaitable, Callable
from pathlib import Path

from admint.contracts.chunks import CaptionShown
from admint.contracts.quality import QualityScores
from admint.scorer.loudness import LoudnessTarget
from admint.scorer.media_tools import MediaToolError, in_tool_thread, probe, render_caption
from admint.scorer.overall import Weights, load_weights
from admint.scorer.ports import Joins, ScoringFailed
from admint.scorer.report import QualityReport, score_clip, score_master
from admint.scorer.sampling import Sampling


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the ffmpeg decoders)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class MediaVideoScorer:
    """VideoScorer with ffmpeg and OpenCV (admint.scorer.report)."""

    def __init__(self, sampling: Sampling = Sampling(), loudness: LoudnessTarget = LoudnessTarget(),
                 weights: Weights | None = None) -> None:
        self.sampling = sampling
        self.loudness = loudness
        self.weights = weights or load_weights()

    async def score_chunk(self, path: Path, caption: CaptionShown | None) -> QualityScores:
        async def run() -> QualityReport:
            placed, window = None, None
            if caption is not None:
                info = await probe(path)
                placed = await in_tool_thread(render_caption, caption.text, info.width, info.height)
                window = (caption.start_s, caption.end_s)
            return await score_clip(path, caption=placed, caption_window_s=window, sampling=self.sampling,
                                    weights=self.weights)

        return await self._measured(run)

    async def score_master(self, path: Path, joins: Joins) -> QualityScores:
        async def run() -> QualityReport:
            return await score_master(path, joins.starts_s, transition_kind=joins.kind,
                                      crossfade_s=joins.crossfade_s, loudness_target=self.loudness,
                                      sampling=self.sampling, weights=self.weights)

        return await self._measured(run)

    async def _measured(self, run: Callable[[], Awaitable[QualityReport]]) -> QualityScores:
        started = cpu_seconds()
        try:
            report = await run()
        except (MediaToolError, ValueError) as exc:
            raise ScoringFailed(str(exc)) from exc
        return QualityScores(
            overall=report.overall, dimensions=report.dimensions, sampled_frames=report.sampled_frames,
            seconds=report.seconds, cpu_s=round(max(0.0, cpu_seconds() - started), 3),
            integrated_lufs=report.integrated_lufs, true_peak_dbtp=report.true_peak_dbtp,
        )
