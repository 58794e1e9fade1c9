"""The chunker's ports: storage (core), the video model (providers) and the chunk encoder (media, encoder.py).

Handlers and the domain modules see only these: the encoder's job is a plain value the domain decides
(work.py), so everything up to the one ffmpeg run is testable without media tools, and the encoder adapter does
nothing but carry the job out.
"""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from admint.chunker.config import ChunkerSettings
from admint.chunker.scheduling import PrioritySlots
from admint.chunker.thresholds import Thresholds
from admint.chunker.timeline import OverlayWindow
from admint.core.stores import GenerationStore, ObjectStore
from admint.providers.ports import RawFrames, VideoModel


@dataclass(frozen=True)
class ClipLength:
    """How long the clip the video model returned is, as its container says."""

    frames: int
    """Video frames counted in the file (0 when the container does not say)."""
    fps: float
    """Its frame rate (0 when unknown)."""
    duration_s: float


@dataclass(frozen=True)
class ChunkJob:
    """One chunk's encode, decided by the domain: cut, size, overlays and keyframes of the stored chunk.

    The encoder writes the chunk in the house format at width×height and fps, exactly `frames` frames long
    (padded with the clip's last frame when the clip is a little short), after dropping `skip_frames` leading
    frames, with the overlay windows burnt in, and the clean last frame (before the overlays) as a PNG.
    """

    width: int
    height: int
    fps: int
    frames: int
    skip_frames: int = 0
    """Leading clip frames to drop (a continuing chunk's repeat of its init frame)."""
    beat_offset_s: float = 0.0
    """Where the chunk starts in its beat: the overlay windows are in beat time."""
    overlays: tuple[OverlayWindow, ...] = ()
    """Caption / call-to-action windows (with their text) this chunk covers."""
    keyframes: tuple[int, ...] = ()
    """Chunk-local frame indices that must be keyframes (transition window boundaries)."""


@dataclass(frozen=True)
class EncodedChunk:
    """The encoder's output files, inside the work directory it was given."""

    video: Path
    last_frame: Path


class ChunkEncoder(Protocol):
    """Media work of one chunk (implemented with admint.media in encoder.py)."""

    async def measure(self, clip: Path | RawFrames) -> ClipLength:
        """Frames, frame rate and duration of a clip the video model returned (a file, or frames it renders
        on demand)."""
        ...

    async def encode(self, clip: Path | RawFrames, job: ChunkJob, workdir: Path) -> EncodedChunk:
        """Carry out `job` on `clip`, writing the chunk and its last frame into `workdir`."""
        ...


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    video: VideoModel
    encoder: ChunkEncoder
    settings: ChunkerSettings
    video_slots: asyncio.Semaphore | None = None
    """Calls to the video model this process makes at once (the registry's concurrency limit)."""
    encode_slots: PrioritySlots | None = None
    """Encodes this process runs at once, the longest chain of chunks first (scheduling.py)."""
    thresholds: Thresholds = field(init=False)
    """Generations' quality thresholds, read once (thresholds.py)."""

    def __post_init__(self) -> None:
        self.thresholds = Thresholds(self.docs)
