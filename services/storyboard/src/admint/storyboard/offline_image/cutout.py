"""The uploaded product image as a composable cut-out, conditioned on its Canny edge map.

The edge map does three jobs, as a ControlNet-style conditioning would: it separates the product from a plain
or busy background (edges closed into a silhouette, together with the distance from the border colour), it
frames detail shots on the part of the product with the most structure, and it draws the rim light that seats
the product in the rendered scene.
"""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from admint.storyboard.offline_image.canvas import Sprite

MAX_SIDE = 1024
_CACHE: OrderedDict[tuple[str, int], "Cutout"] = OrderedDict()
_LOCK = threading.Lock()


@dataclass
class Cutout:
    sprite: Sprite
    edges: np.ndarray
    """Canny edges of the cut-out (float 0/1), same size as the sprite."""

    def detail_centre(self) -> tuple[float, float]:
        """Where the edge density peaks, as fractions of the cut-out: detail shots frame that spot."""
        h, w = self.edges.shape
        density = cv2.GaussianBlur(self.edges, (0, 0), max(2.0, min(h, w) / 8))
        y, x = np.unravel_index(int(np.argmax(density)), density.shape)
        return (x + 0.5) / w, (y + 0.5) / h


def canny(gray: np.ndarray) -> np.ndarray:
    """Canny with thresholds from the image's own median (robust across exposures)."""
    blurred = cv2.GaussianBlur(gray, (0, 0), 1.2)
    median = float(np.median(blurred))
    low, high = int(max(10, 0.66 * median)), int(min(255, max(40, 1.33 * median)))
    return cv2.Canny(blurred, low, high)


def load_cutout(data: bytes, max_side: int = MAX_SIDE) -> Cutout:
    """Decode PNG/JPEG bytes; ValueError when they are not an image.

    Every beat of a generation uses the same photo, so recent cut-outs are kept (by content hash and size);
    renders run in worker threads, hence the lock.
    """
    key = (hashlib.sha256(data).hexdigest(), min(max_side, MAX_SIDE))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    cutout = _load(data, key[1])
    with _LOCK:
        _CACHE[key] = cutout
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return cutout


def _load(data: bytes, max_side: int) -> Cutout:
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.size == 0:
        raise ValueError(f"the product image is not a decodable image ({len(data)} bytes)")
    if raw.dtype != np.uint8:
        raw = cv2.convertScaleAbs(raw, alpha=255.0 / max(float(raw.max()), 1.0))
    if raw.ndim == 2:
        raw = cv2.cvtColor(raw, cv2.COLOR_GRAY2BGRA)
    elif raw.shape[2] == 3:
        raw = cv2.cvtColor(raw, cv2.COLOR_BGR2BGRA)
        raw[..., 3] = 255
    scale = max_side / max(raw.shape[:2])
    if scale < 1:
        raw = cv2.resize(raw, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    bgr, alpha = raw[..., :3], raw[..., 3]
    edges = canny(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    mask = alpha if alpha.min() < 250 else _silhouette(bgr, edges)
    ys, xs = np.nonzero(mask > 127)
    if len(xs) == 0:
        mask = np.full(alpha.shape, 255, np.uint8)
        ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    crop = (slice(y0, y1), slice(x0, x1))
    soft = cv2.GaussianBlur(mask[crop], (0, 0), 0.8).astype(np.float32) / 255.0
    edge_map = (edges[crop] > 0).astype(np.float32) * (mask[crop] > 64)
    return Cutout(Sprite(bgr[crop].astype(np.float32) / 255.0, soft), edge_map)


def _silhouette(bgr: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Foreground of a photo without transparency: closed edge contours ∪ off-background colour."""
    h, w = edges.shape
    k = max(3, round(min(h, w) / 60)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(cv2.dilate(edges, kernel), cv2.MORPH_CLOSE, kernel, iterations=2)
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    from_edges = np.zeros((h, w), np.uint8)
    big = [c for c in contours if cv2.contourArea(c) > 0.01 * h * w]
    cv2.drawContours(from_edges, big, -1, 255, -1)

    border = np.concatenate([bgr[0], bgr[-1], bgr[:, 0], bgr[:, -1]]).astype(np.float32)
    background = np.median(border, axis=0)
    spread = float(np.median(np.linalg.norm(border - background, axis=1))) + 12.0
    distance = np.linalg.norm(bgr.astype(np.float32) - background, axis=2)
    from_colour = (distance > 2.5 * spread).astype(np.uint8) * 255
    from_colour = cv2.morphologyEx(from_colour, cv2.MORPH_OPEN, kernel)

    mask = cv2.bitwise_or(from_edges, from_colour)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count > 1:
        largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        keep = stats[:, cv2.CC_STAT_AREA] >= 0.15 * stats[largest, cv2.CC_STAT_AREA]
        keep[0] = False
        mask = (keep[labels]).astype(np.uint8) * 255
        filled = np.zeros_like(mask)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(filled, contours, -1, 255, -1)
        mask = filled
    coverage = float(mask.mean()) / 255.0
    if coverage < 0.03 or coverage > 0.97:
        # a full-bleed photo (or nothing separable): use the whole image as a rounded card
        mask = np.zeros((h, w), np.uint8)
        r = round(min(h, w) * 0.06)
        cv2.rectangle(mask, (r, 0), (w - 1 - r, h - 1), 255, -1)
        cv2.rectangle(mask, (0, r), (w - 1, h - 1 - r), 255, -1)
        for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
            cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    return mask
