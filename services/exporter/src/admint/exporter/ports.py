"""The exporter's media port: what the handler asks of the encoder, and the values that cross it.

The handler decides (which renditions, crop or pad, what each file must measure — decide.py, renditions.py) and
moves files; the encoder does the media work with ffmpeg, OpenCV and Pillow (encoder.py). Unit tests fake it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from admint.contracts.common import FrameSize
from admint.contracts.export import SpecCheck
from admint.exporter.renditions import RenditionPlan


@dataclass(frozen=True)
class CheckTarget:
    """What one rendition must measure (the spec check compares the file against it)."""

    aspect: str
    width: int
    height: int
    fps: int
    duration_s: float
    audio: bool
    """An audio stream is required (the master has a music bed), or must be absent."""
    frame_tolerance: int = 1


@dataclass(frozen=True)
class PosterImages:
    """The poster (full size) and its thumbnail, as JPEG bytes."""

    poster: bytes
    thumbnail: bytes


class ExportEncoder(Protocol):
    async def saliency(self, master: Path, size: FrameSize) -> np.ndarray:
        """Where the detail is: a small (rows, cols) edge-energy map of the master, averaged over time."""
        ...

    async def encode(
        self, master: Path, plans: Sequence[RenditionPlan], master_size: FrameSize, fps: int, workdir: Path
    ) -> list[Path]:
        """Re-encode the master into each (crop or pad) rendition, in parallel; the files in the plans' order."""
        ...

    async def poster(self, master: Path, times: Sequence[float], workdir: Path) -> PosterImages:
        """The best-looking of the frames at `times` (sharp, well exposed), as poster and thumbnail."""
        ...

    async def check(self, path: Path, target: CheckTarget) -> SpecCheck:
        """ffprobe verdict of one rendition against its target."""
        ...
