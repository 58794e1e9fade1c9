"""Poster and thumbnail pictures: the best-looking candidate frame (sharp, well exposed), as JPEGs.

Image code, used only by the encoder adapter (encoder.py); which frames are candidates is decided in decide.py.
"""

import asyncio
import io
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from admint.exporter.media import grab_frame


def frame_score(rgb: np.ndarray) -> float:
    """Poster quality of a frame: sharp (Laplacian variance), neither too dark nor washed out."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    sharp = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    mean = float(grey.mean())
    exposure = 1.0 - min(1.0, abs(mean - 120.0) / 120.0)
    return sharp * (0.25 + exposure)


async def best_frame(master: Path, times: Sequence[float], workdir: Path) -> Image.Image:
    paths = await asyncio.gather(*(grab_frame(master, t, workdir / f"poster-{i}.png") for i, t in enumerate(times)))
    images = [Image.open(p).convert("RGB") for p in paths]
    scores = [frame_score(np.asarray(img)) for img in images]
    return images[int(np.argmax(scores))]


def jpeg(image: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    return buf.getvalue()


def thumbnail(image: Image.Image, long_side: int) -> Image.Image:
    scale = long_side / max(image.size)
    if scale >= 1:
        return image.copy()
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)
