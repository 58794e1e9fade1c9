"""Synthetic frames for the scorer's unit tests: fast, exact, no ffmpeg."""

import cv2
import numpy as np

W, H = 180, 320
"""Vertical frames at the scorer's analysis size."""


def scene(width: int = W, height: int = H, palette: int = 0) -> np.ndarray:
    """A textured picture drawn in relative coordinates (the same scene at any resolution): a colour gradient,
    diagonal stripes, a central disc."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = x / width, y / height
    if palette == 0:
        img = np.stack([60 + 120 * v, 50 + 100 * u, 160 - 60 * v], -1)
        disc = (40, 200, 240)
    else:
        img = np.stack([150 - 80 * u, 70 + 60 * v, 40 + 50 * u], -1)
        disc = (200, 60, 150)
    img += 40 * (np.sin((u + 0.6 * v * height / width) * 2 * np.pi * 9) > 0)[..., None]
    out = np.clip(img, 0, 255).astype(np.uint8)
    cv2.circle(out, (width // 2, int(height * 0.55)), width // 4, disc, -1, lineType=cv2.LINE_AA)
    return out


def camera(path: np.ndarray, width: int = W, height: int = H, palette: int = 0) -> np.ndarray:
    """Frames that look through a window moving along `path` (N×2 pixel offsets) over a larger scene."""
    margin = int(np.ceil(np.abs(path).max())) + 2
    world = scene(width + 2 * margin, height + 2 * margin, palette)
    frames = []
    for dx, dy in path:
        shift = np.array([[1, 0, -(margin + dx)], [0, 1, -(margin + dy)]], dtype=np.float32)
        frames.append(cv2.warpAffine(world, shift, (width, height), flags=cv2.INTER_LINEAR))
    return np.stack(frames)


def steady_pan(frames: int = 40, speed: float = 0.8) -> np.ndarray:
    """A pan at `speed` pixels per frame."""
    return camera(np.stack([np.arange(frames) * speed, np.zeros(frames)], axis=1))


def shaken(frames: int = 40, amplitude: float = 3.0, seed: int = 1) -> np.ndarray:
    """The steady pan with a random jolt of up to `amplitude` pixels per frame."""
    rng = np.random.default_rng(seed)
    path = np.stack([np.arange(frames) * 0.8, np.zeros(frames)], axis=1) + rng.uniform(-amplitude, amplitude,
                                                                                       (frames, 2))
    return camera(path)


def gain(frames: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Multiply each frame's brightness by its gain."""
    return np.clip(frames.astype(np.float32) * gains[:, None, None, None], 0, 255).astype(np.uint8)
