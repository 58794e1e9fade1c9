"""Poster and thumbnail: the best-looking frame near the middle of the first beat, as JPEGs."""

import asyncio
import io
from pathlib import Path

import numpy as np
from PIL import Image

from admint.exporter.media import frame_score, grab_frame

SPREAD_S = (-0.6, 0.0, 0.6)
"""Candidates around the middle of the first beat: a blink or a motion blur rarely spans all three."""


def poster_times(first_beat_s: float, duration_s: float) -> list[float]:
    middle = min(first_beat_s, duration_s) / 2
    return sorted({round(min(max(0.0, middle + d), max(0.0, duration_s - 0.1)), 3) for d in SPREAD_S})


async def best_frame(master: Path, times: list[float], workdir: Path) -> Image.Image:
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
