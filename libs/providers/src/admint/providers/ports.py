"""The four AI ports. Handlers depend on these protocols only; offline and cloud adapters implement them.

Media goes in and out as bytes or local file paths: adapters never touch the object store or the bus.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from admint.contracts.common import CameraMovement, FrameSize
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Beat, MusicSpec, Plan, Style
from admint.core.cpu_pool import Stop


@dataclass(frozen=True)
class ProviderResult:
    """What a priced call cost and which model answered."""

    model: str
    cost_usd: float = 0.0
    notes: dict[str, str] = field(default_factory=dict)


class PlannerModel(Protocol):
    name: str

    async def plan(self, spec: GenerationSpec) -> Plan:
        """A beat plan for the request; raises PermanentProviderError for an unplannable brief."""
        ...


@dataclass(frozen=True)
class ImageRequest:
    beat: Beat
    style: Style
    size: FrameSize
    seed: int
    product: str = ""
    product_image: bytes | None = None
    """The uploaded product image (PNG/JPEG bytes) when the request names one."""


@dataclass(frozen=True)
class ImageResult(ProviderResult):
    png: bytes = b""


class ImageModel(Protocol):
    name: str

    async def render(self, request: ImageRequest) -> ImageResult:
        """One storyboard frame as PNG bytes at exactly request.size."""
        ...


@dataclass(frozen=True)
class VideoRequest:
    init_frame_png: bytes
    prompt: str
    camera_movement: CameraMovement
    duration_s: float
    size: FrameSize
    fps: int
    seed: int
    energy: float = 0.5
    beat_offset_s: float = 0.0
    """Time already elapsed in the beat, so a continuing chunk continues the camera move."""
    beat_length_s: float = 5.0
    workdir: Path = Path("/tmp")
    needed_duration_s: float | None = None
    """How much of the clip will be kept (the last chunk of a beat is shorter); a model that can make
    shorter clips may stop there. Billing still follows duration_s for fixed-length models."""
    beat_index: int = 0
    """Which beat of the ad this chunk belongs to (seeds per-beat variety; fault injection targets a beat)."""


@dataclass(frozen=True)
class RawFrames:
    """A clip a local model renders on demand instead of writing a file: `render(write, stop)` writes its
    `frames` raw frames in order into `write`, in a thread, and raises asyncio.CancelledError once `stop` is
    set. The chunker pipes them straight into its one real encode. A frame is a C-contiguous buffer: BGR
    (H×W×3 bytes) or, with pix_fmt "yuv420p", the house format's own I420 planes (BT.709 limited range,
    H×W×3/2 bytes), which the encode takes without any conversion."""

    width: int
    height: int
    fps: int
    frames: int
    render: Callable[[Callable[[Any], None], Stop], int]
    pix_fmt: str = "bgr24"


@dataclass(frozen=True)
class VideoResult(ProviderResult):
    path: Path = Path()
    """A video file of roughly duration_s (any codec ffmpeg reads); the chunker normalises it."""
    frames: RawFrames | None = None
    """Instead of a file: the clip's frames, rendered while the chunker encodes them (local models)."""
    repeats_init_frame: bool = True
    """Image-to-video models return the init frame as their first frame; for a chunk continuing a beat that
    frame is already the previous chunk's last one, so the chunker drops it. False: it starts after it."""


class VideoModel(Protocol):
    name: str
    chunk_duration_s: float
    """The model's real native chunk length (from the model registry)."""

    async def animate(self, request: VideoRequest) -> VideoResult: ...


@dataclass(frozen=True)
class MusicRequest:
    music: MusicSpec
    duration_s: float
    seed: int
    workdir: Path = Path("/tmp")


@dataclass(frozen=True)
class MusicResult(ProviderResult):
    path: Path = Path()
    """An audio file (wav/mp3/m4a) at least duration_s long."""


class MusicModel(Protocol):
    name: str

    async def compose(self, request: MusicRequest) -> MusicResult: ...


__all__ = [
    "ImageModel",
    "ImageRequest",
    "ImageResult",
    "MusicModel",
    "MusicRequest",
    "MusicResult",
    "PlannerModel",
    "ProviderResult",
    "VideoModel",
    "VideoRequest",
    "VideoResult",
]


SlotLease = Callable[[str, int], contextlib.AbstractAsyncContextManager[None]]
"""(name, capacity) → a block holding one of the name's slots cluster-wide (admint.core.slots.SharedSlots.hold)."""
