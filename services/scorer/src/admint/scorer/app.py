"""The scorer, declared: settings, three routes beside the pipeline, and its ports (storage, the video scorer).

scorer-chunks (chunk.completed) scores every chunk take, scorer-masters (stitch.completed) the master,
scorer-exports (export.completed) the re-encoded renditions. Its routes never fail a generation and run after
completion too (scores arrive after the ad is done).
"""

import asyncio
from pathlib import Path

from admint.contracts.chunks import ChunkCompleted
from admint.contracts.export import ExportCompleted
from admint.contracts.quality import QualityScored
from admint.contracts.stitch import StitchCompleted
from admint.core.service import Handler, Infra, Route, ServiceSpec
from admint.media.ffmpeg import ToolPriority
from admint.scorer.config import ScorerSettings
from admint.scorer.handlers import handle_chunk_completed, handle_export_completed, handle_stitch_completed
from admint.scorer.loudness import LoudnessTarget
from admint.scorer.measure import MediaVideoScorer
from admint.scorer.overall import load_weights
from admint.scorer.ports import Ports
from admint.scorer.sampling import Sampling


def build_scorer(settings: ScorerSettings) -> MediaVideoScorer:
    return MediaVideoScorer(
        Sampling(long_side=settings.quality_sample_long_side, fps=settings.quality_sample_fps,
                 stills=settings.quality_stills),
        LoudnessTarget(settings.quality_loudness_lufs, settings.quality_loudness_tolerance_lu,
                       settings.quality_max_true_peak_dbtp),
        load_weights(Path(settings.quality_weights_file) if settings.quality_weights_file else None),
    )


def build_ports(settings: ScorerSettings, infra: Infra) -> Ports:
    ToolPriority.set(settings.tool_nice)
    return Ports(docs=infra.docs, blobs=infra.blobs, scorer=build_scorer(settings), settings=settings,
                 slots=asyncio.Semaphore(settings.scoring_concurrency))


def beside(handler: Handler) -> Route:
    """A route beside the pipeline: runs after completion too, never fails the generation."""
    return Route(handler, skip_terminal=False, fails_generation=False)


SERVICE = ServiceSpec(
    name="scorer",
    settings=ScorerSettings,
    routes={
        ChunkCompleted: beside(handle_chunk_completed),
        StitchCompleted: beside(handle_stitch_completed),
        ExportCompleted: beside(handle_export_completed),
    },
    ports=build_ports,
    produces=(QualityScored,),
)
