"""The exporter's ffmpeg work: saliency sampling, rendition encodes, poster candidate frames.

Media code, used only by the encoder adapter (encoder.py).

Saliency comes from the master's keyframes only (`-skip_frame nokey`: a keyframe every 0.5 s, nothing else is
decoded), downscaled to a small grey map, so the analysis costs a fraction of one rendition encode.
"""

import dataclasses
from pathlib import Path

import cv2
import numpy as np

from admint.contracts.common import FrameSize
from admint.exporter.renditions import RenditionPlan, video_filter
from admint.media.ffmpeg import ffmpeg
from admint.media.house import HOUSE

MAP_WIDTH = 96


def edge_saliency(frames: np.ndarray) -> np.ndarray:
    """Mean gradient magnitude over grey frames (n, h, w) → (h, w) map; captions and objects light up."""
    acc = np.zeros(frames.shape[1:], np.float64)
    for frame in frames:
        f = cv2.GaussianBlur(frame.astype(np.float32), (3, 3), 0)
        gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
        acc += cv2.magnitude(gx, gy)
    return acc / max(1, len(frames))


async def saliency_map(master: Path, size: FrameSize) -> np.ndarray:
    """Edge saliency of the master's keyframes at MAP_WIDTH columns."""
    width = MAP_WIDTH
    height = max(2, round(size.height * width / size.width / 2) * 2)
    raw = await ffmpeg(
        "-skip_frame", "nokey", "-i", str(master), "-an", "-vf", f"scale={width}:{height},format=gray",
        "-fps_mode", "passthrough", "-f", "rawvideo", "-", timeout_s=300,
    )
    frames = np.frombuffer(raw, np.uint8)
    count = frames.size // (width * height)
    if count == 0:
        return np.zeros((height, width))
    return edge_saliency(frames[: count * width * height].reshape(count, height, width))


async def encode_rendition(master: Path, plan: RenditionPlan, master_size: FrameSize, fps: int, out: Path,
                           threads: int = 0) -> Path:
    """One re-encode at the house settings; the master's audio is stream-copied, not re-encoded."""
    await ffmpeg(
        "-i", str(master), "-filter_complex", video_filter(plan, master_size), "-map", "[v]", "-map", "0:a?",
        *dataclasses.replace(HOUSE, fps=fps).video_args(), "-threads", str(threads), "-c:a", "copy",
        "-movflags", "+faststart", str(out),
        timeout_s=1200,
    )
    return out


async def grab_frame(master: Path, at_s: float, out: Path) -> Path:
    await ffmpeg("-ss", f"{max(0.0, at_s):.3f}", "-i", str(master), "-frames:v", "1", "-an", str(out))
    return out
