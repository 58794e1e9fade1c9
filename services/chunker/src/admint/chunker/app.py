"""The chunker, declared: settings, three routes, and its ports (the video model from settings, the encoder).

chunker-plan (storyboard.completed) fans out, chunker-work (chunk.requested) renders — N replicas share it —,
chunker-fanin (chunk.completed) continues beats and gathers them, and chunker-quality (quality.scored) keeps or
re-renders chunk takes when the request set a quality threshold.
"""

import asyncio

from admint.chunker.config import ChunkerSettings
from admint.chunker.encoder import MediaChunkEncoder
from admint.chunker.handlers import (
    handle_chunk_completed,
    handle_chunk_requested,
    handle_quality_scored,
    handle_storyboard_completed,
)
from admint.chunker.heal import heal_chunking
from admint.chunker.offline_video import OfflineVideoModel
from admint.chunker.ports import Ports
from admint.chunker.scheduling import PrioritySlots, default_slots
from admint.contracts.chunks import ChunkCompleted, ChunkRequested, ChunksCompleted
from admint.contracts.generation import StageProgress
from admint.contracts.quality import QualityScored
from admint.contracts.storyboard import StoryboardCompleted
from admint.core.cpu_pool import CpuPool
from admint.core.service import Infra, ServiceSpec
from admint.media.ffmpeg import ToolPriority
from admint.providers.factory import build_video_model
from admint.providers.ports import VideoModel
from admint.providers.registry import load_registry

RENDER_MODULES = ("admint.chunker.offline_video", "admint.chunker.encoder")
"""What the render processes import before the first chunk (numpy, OpenCV, Pillow and our renderers)."""


def video_slots(video: VideoModel, settings: ChunkerSettings) -> asyncio.Semaphore:
    """Per-process limit of concurrent model calls: the registry's concurrency, at most max_inflight."""
    try:
        limit = load_registry().get(video.name).concurrency
    except KeyError:
        limit = settings.max_inflight
    return asyncio.Semaphore(max(1, min(limit, settings.max_inflight)))


def build_ports(settings: ChunkerSettings, infra: Infra) -> Ports:
    ToolPriority.set(settings.tool_nice)
    video = build_video_model(
        settings, lambda: OfflineVideoModel(chunk_duration_s=settings.offline_chunk_duration_s, streaming=True),
        shared_slots=infra.slots.hold,
    )
    pool = CpuPool(settings.render_processes, nice=settings.tool_nice, preload=RENDER_MODULES)
    pool.warm()
    return Ports(docs=infra.docs, blobs=infra.blobs, video=video,
                 encoder=MediaChunkEncoder(timeout_s=settings.encode_timeout_s, pool=pool), settings=settings,
                 video_slots=video_slots(video, settings),
                 encode_slots=PrioritySlots(default_slots(settings.encode_slots)))


SERVICE = ServiceSpec(
    name="chunker",
    settings=ChunkerSettings,
    routes={
        StoryboardCompleted: handle_storyboard_completed,
        ChunkRequested: handle_chunk_requested,
        ChunkCompleted: handle_chunk_completed,
        QualityScored: handle_quality_scored,
    },
    ports=build_ports,
    heal=heal_chunking,
    produces=(ChunkRequested, ChunkCompleted, ChunksCompleted, StageProgress),
)
