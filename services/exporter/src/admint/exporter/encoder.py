"""The ExportEncoder port with ffmpeg, OpenCV and Pillow (media.py, poster.py, admint.media.speccheck).

An adapter, like the docstore: the only place (with media.py and poster.py) where the exporter touches media.
"""

import asyncio
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from admint.contracts.common import FrameSize
from admint.contracts.export import SpecCheck
from admint.core import keys
from admint.core.cpus import usable_cpus
from admint.exporter.config import ExporterSettings
from admint.exporter.media import encode_rendition, saliency_map
from admint.exporter.ports import CheckTarget, PosterImages
from admint.exporter.poster import best_frame, jpeg, thumbnail
from admint.exporter.renditions import RenditionPlan
from admint.media.speccheck import Expected, spec_check

THUMBNAIL_QUALITY = 85


class FfmpegExportEncoder:
    """ExportEncoder: every rendition one ffmpeg encode (the cores shared among them), ffprobe spec checks."""

    def __init__(self, poster_quality: int = 90, thumbnail_long_side: int = 480) -> None:
        self.poster_quality = poster_quality
        self.thumbnail_long_side = thumbnail_long_side

    @classmethod
    def from_settings(cls, settings: ExporterSettings) -> "FfmpegExportEncoder":
        return cls(settings.poster_quality, settings.thumbnail_long_side)

    async def saliency(self, master: Path, size: FrameSize) -> np.ndarray:
        return await saliency_map(master, size)

    async def encode(
        self, master: Path, plans: Sequence[RenditionPlan], master_size: FrameSize, fps: int, workdir: Path
    ) -> list[Path]:
        threads = max(1, usable_cpus() // max(1, len(plans)))
        return list(await asyncio.gather(*(
            encode_rendition(master, p, master_size, fps, workdir / f"{keys.rendition_name(p.aspect)}.mp4", threads)
            for p in plans
        )))

    async def poster(self, master: Path, times: Sequence[float], workdir: Path) -> PosterImages:
        image = await best_frame(master, times, workdir)
        return PosterImages(
            poster=jpeg(image, self.poster_quality),
            thumbnail=jpeg(thumbnail(image, self.thumbnail_long_side), THUMBNAIL_QUALITY),
        )

    async def check(self, path: Path, target: CheckTarget) -> SpecCheck:
        return await spec_check(path, Expected(target.width, target.height, target.fps, target.duration_s,
                                               audio=target.audio, frame_tolerance=target.frame_tolerance))
