"""Composition root of the chunker: the video model from settings, three durable consumers.

chunker-plan (storyboard.completed) fans out, chunker-work (chunk.requested) renders — N replicas share it —
and chunker-fanin (chunk.completed) continues beats and gathers them.
"""

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from admint.chunker.config import ChunkerSettings
from admint.chunker.handlers import (
    Ports,
    handle_chunk_completed,
    handle_chunk_requested,
    handle_storyboard_completed,
)
from admint.chunker.offline_video import OfflineVideoModel
from admint.contracts.chunks import ChunkCompleted, ChunkRequested
from admint.contracts.envelope import Event
from admint.contracts.storyboard import StoryboardCompleted
from admint.core.service import Infra
from admint.core.topology import consumers_of
from admint.core.worker import Subscription
from admint.providers.factory import build_video_model
from admint.providers.ports import VideoModel
from admint.providers.registry import load_registry

HANDLERS: dict[str, tuple[type[Event], Callable[..., Coroutine[Any, Any, list[Event]]]]] = {
    "storyboard.completed.v1": (StoryboardCompleted, handle_storyboard_completed),
    "chunk.requested.v1": (ChunkRequested, handle_chunk_requested),
    "chunk.completed.v1": (ChunkCompleted, handle_chunk_completed),
}


def video_slots(video: VideoModel, settings: ChunkerSettings) -> asyncio.Semaphore:
    """Per-process limit of concurrent model calls: the registry's concurrency, at most max_inflight."""
    try:
        limit = load_registry().get(video.name).concurrency
    except KeyError:
        limit = settings.max_inflight
    return asyncio.Semaphore(max(1, min(limit, settings.max_inflight)))


def build(infra: Infra, video: VideoModel | None = None) -> list[Subscription]:
    settings = infra.settings if isinstance(infra.settings, ChunkerSettings) else ChunkerSettings()
    video = video or build_video_model(
        settings, lambda: OfflineVideoModel(chunk_duration_s=settings.offline_chunk_duration_s),
        shared_slots=infra.slot_lease)
    ports = Ports(docs=infra.docs, blobs=infra.blobs, video=video, settings=settings,
                  video_slots=video_slots(video, settings))
    subscriptions = []
    for consumer in consumers_of("chunker"):
        model, handler = HANDLERS[consumer.event_type]
        subscriptions.append(Subscription(consumer=consumer, model=model, handler=partial(handler, ports=ports),
                                          stage="chunking"))
    return subscriptions
