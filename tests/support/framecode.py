"""Test clips whose every frame says which clip and which frame it is, for checking joins frame by frame.

Each frame is a flat background (its level says the clip, so a crossfade shows as a level between two clips)
with a 4×4 grid of black/white blocks spelling (tag, index) in binary. Blocks are large enough to survive H.264.
"""

import dataclasses
import json
import subprocess
from pathlib import Path

import numpy as np

from admint.media.house import HOUSE

WIDTH, HEIGHT = 96, 160
BLOCK, PITCH, TOP, LEFT = 18, 22, 6, 4
INDEX_BITS = 9


def level(tag: int) -> int:
    """Background grey level of a clip tag (distinct, mid-range, far from the block colours)."""
    return 40 + (tag * 37) % 170


def frame(tag: int, index: int, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    img = np.full((height, width, 3), level(tag), np.uint8)
    bits = (tag << INDEX_BITS) | index
    for k in range(16):
        r, c = divmod(k, 4)
        y, x = TOP + r * PITCH, LEFT + c * PITCH
        img[y : y + BLOCK, x : x + BLOCK] = 255 if (bits >> k) & 1 else 0
    return img


def decode(img: np.ndarray) -> tuple[int, int]:
    """(tag, index) spelled by a frame's blocks."""
    bits = 0
    for k in range(16):
        r, c = divmod(k, 4)
        y, x = TOP + r * PITCH + 4, LEFT + c * PITCH + 4
        if img[y : y + BLOCK - 8, x : x + BLOCK - 8].mean() > 128:
            bits |= 1 << k
    return bits >> INDEX_BITS, bits & ((1 << INDEX_BITS) - 1)


def background(img: np.ndarray) -> float:
    """Mean level of the block-free lower part of a frame."""
    return float(img[img.shape[0] * 2 // 3 :, :].mean())


def make_clip(path: Path, tag: int, frames: int, *, force_keyframes: list[int] | None = None,
              width: int = WIDTH, height: int = HEIGHT, fps: int = HOUSE.fps,
              encoder_args: list[str] | None = None) -> Path:
    """A house-format clip of `frames` coded frames (optionally with extra forced keyframes, as the chunker does;
    `encoder_args` are appended after the house settings, to make a clip that is not quite house format)."""
    extra: list[str] = list(encoder_args or [])
    if force_keyframes:
        extra += ["-force_key_frames", ",".join(f"{k / fps:.6f}" for k in force_keyframes)]
    proc = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-an",
         *dataclasses.replace(HOUSE, fps=fps).video_args(), *extra, str(path)],
        stdin=subprocess.PIPE,
    )
    assert proc.stdin is not None
    for i in range(frames):
        proc.stdin.write(frame(tag, i, width, height).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg could not make {path}")
    return path


def read_frames(path: Path, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, height, width, 3)


def keyframes(path: Path) -> list[int]:
    """Display-order indices of the I-frames of a video (ffprobe)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "frame=pict_type", "-of", "json",
         str(path)], capture_output=True, check=True, text=True,
    ).stdout
    return [i for i, f in enumerate(json.loads(out)["frames"]) if f.get("pict_type") == "I"]
