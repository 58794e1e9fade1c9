"""Clean and deliberately degraded clips for the scorer's tests and for bench/quality_table.py.

One clean clip is rendered by the offline video model from a textured storyboard frame; each degradation
damages one thing a viewer would notice (blur, blown exposure, flicker, a freeze, shake, black frames, a
caption on a same-coloured background, a subject swap), on the raw frames, before the house encode.
"""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from admint.contracts.common import CameraMovement, FrameSize
from admint.runtime.media.captions import PlacedImage, render_caption
from admint.runtime.media.frames import RawVideoWriter, encode_png, read_frames
from admint.runtime.media.house import HOUSE
from admint.runtime.providers.offline_video import OfflineVideoModel
from admint.runtime.providers.ports import VideoRequest

CAPTION = "Fresh taste, every single day"


def textured_storyboard(width: int, height: int, palette: int = 0) -> np.ndarray:
    """A storyboard-like frame: a colour gradient, diagonal stripes and a central 'product' disc, so that
    motion, blur and colour are all measurable. `palette` 1 is a different scene (other hues, other disc)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    if palette == 0:
        img = np.stack([60 + 120 * y / height, 50 + 100 * x / width, 160 - 60 * y / height], -1)
        disc = (40, 200, 240)
    else:
        img = np.stack([150 - 80 * x / width, 70 + 60 * y / height, 40 + 50 * x / width], -1)
        disc = (200, 60, 150)
    img += 40 * (np.sin((x + 0.6 * y) / (0.017 * width)) > 0)[..., None]
    out = np.clip(img, 0, 255).astype(np.uint8)
    cv2.circle(out, (width // 2, int(height * 0.55)), width // 4, disc, -1)
    return out


async def render_frames(workdir: Path, width: int, height: int, seconds: float, *, palette: int = 0,
                        movement: CameraMovement = "pan_left", seed: int = 11) -> np.ndarray:
    """Frames of one beat rendered by the offline video model (lossless intermediate, read back)."""
    request = VideoRequest(
        init_frame_png=encode_png(textured_storyboard(width, height, palette)), prompt="a bottle on a table",
        camera_movement=movement, duration_s=seconds, size=FrameSize(width=width, height=height),
        fps=HOUSE.fps, seed=seed, energy=0.6, beat_offset_s=0.0, beat_length_s=seconds, workdir=workdir,
    )
    result = await OfflineVideoModel().animate(request)
    return await read_frames(result.path, width, height)


def caption_for(width: int, height: int, text: str = CAPTION) -> PlacedImage:
    return render_caption(text, width, height)


def burn(frames: np.ndarray, caption: PlacedImage) -> np.ndarray:
    """Alpha-composite the caption PNG onto every frame (what the chunker's overlay does in ffmpeg)."""
    rgba = cv2.imdecode(np.frombuffer(caption.png, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    assert rgba is not None
    frame_h, frame_w = frames.shape[1:3]
    h, w = min(rgba.shape[0], frame_h - caption.y), min(rgba.shape[1], frame_w - caption.x)  # clipped at edges
    rgba = rgba[:h, :w]
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    out = frames.copy()
    region = out[:, caption.y:caption.y + h, caption.x:caption.x + w].astype(np.float32)
    out[:, caption.y:caption.y + h, caption.x:caption.x + w] = (
        region * (1 - alpha) + rgba[..., :3].astype(np.float32) * alpha + 0.5).astype(np.uint8)
    return out


def encode(frames: np.ndarray, path: Path, fps: int = HOUSE.fps) -> Path:
    """Encode frames in the house format (H.264 High, yuv420p, crf 20, GOP 15): what the scorer will see."""
    height, width = frames.shape[1:3]
    with RawVideoWriter(path, width, height, fps, codec_args=tuple(HOUSE.video_args())) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def blurred(frames: np.ndarray) -> np.ndarray:
    return np.stack([cv2.GaussianBlur(f, (0, 0), 2.0) for f in frames])


def over_exposed(frames: np.ndarray) -> np.ndarray:
    return np.clip(frames.astype(np.float32) * 1.7 + 40, 0, 255).astype(np.uint8)


def flickering(frames: np.ndarray, seed: int = 3) -> np.ndarray:
    """A random brightness gain per frame (±18%), as a bad exposure loop or a mains-hum light would give."""
    gains = np.random.default_rng(seed).uniform(0.82, 1.18, len(frames))
    scaled = frames.astype(np.float32) * gains[:, None, None, None]
    return np.clip(scaled, 0, 255).astype(np.uint8)


def frozen_second_half(frames: np.ndarray) -> np.ndarray:
    out = frames.copy()
    out[len(frames) // 2:] = frames[len(frames) // 2]
    return out


def shaky(frames: np.ndarray, seed: int = 5, amplitude: float = 0.025) -> np.ndarray:
    """A random translation per frame of up to `amplitude` × the width (hand-held shake without a tripod)."""
    h, w = frames.shape[1:3]
    offsets = np.random.default_rng(seed).uniform(-amplitude * w, amplitude * w, (len(frames), 2))
    moved = [cv2.warpAffine(f, np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32), (w, h),
                            borderMode=cv2.BORDER_REFLECT_101)
             for f, (dx, dy) in zip(frames, offsets, strict=True)]
    return np.stack(moved)


def with_black_frames(frames: np.ndarray) -> np.ndarray:
    """Two runs of black frames, ~20% of the clip (a renderer that dropped frames to black)."""
    out = frames.copy()
    run = max(1, len(frames) // 10)
    for start in (int(len(frames) * 0.3), int(len(frames) * 0.7)):
        out[start:start + run] = 0
    return out


def on_same_colour(frames: np.ndarray, caption: PlacedImage) -> np.ndarray:
    """The caption's whole box painted in the caption's own fill colour (white), as over a white wall."""
    out = frames.copy()
    out[:, caption.y:caption.y + caption.height, caption.x:caption.x + caption.width] = 255
    return out


def subject_swapped(frames: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The second half shows another scene (a model that redrew the product in other colours)."""
    out = frames.copy()
    half = len(frames) // 2
    out[half:] = other[half:len(frames)]
    return out


Degradation = Callable[[np.ndarray], np.ndarray]
