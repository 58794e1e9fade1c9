"""Caption legibility: how well the burnt-in caption's letters stand out from what is right around them.

The scorer knows each caption (the plan's text, laid out by the same `render_caption` the chunker burns in),
so it knows exactly which pixels are letters and which are surroundings: no guessing text from the picture.
The band alone cannot tell a white glyph from a white wall, which is the very failure this dimension exists
for.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np

from admint.scorer.curves import ramp
from admint.scorer.media_tools import PlacedImage, safe_zone
from admint.scorer.sampling import Box

FILL_ALPHA, FILL_LUMA, FOOTPRINT_ALPHA = 230, 200, 24
"""A caption pixel is letter fill when opaque and light (house captions: white fill, dark outline and shadow);
anything with alpha ≥ 24 (outline, shadow) is part of the caption's footprint."""
FULL_RATIO = 4.5
"""Contrast ratio that scores 100: WCAG AA for body text (a caption is read in a second or two, so the laxer
3:1 WCAG allows large text is not enough)."""


def _srgb_to_linear_table() -> np.ndarray:
    c = np.arange(256) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


LINEAR = _srgb_to_linear_table()


def relative_luminance(frame: np.ndarray) -> np.ndarray:
    """WCAG relative luminance (0..1) of BGR uint8 pixels: 0.2126 R + 0.7152 G + 0.0722 B, linearised."""
    return 0.0722 * LINEAR[frame[..., 0]] + 0.7152 * LINEAR[frame[..., 1]] + 0.2126 * LINEAR[frame[..., 2]]


def contrast_ratio(a: float, b: float) -> float:
    """WCAG contrast ratio of two relative luminances: (lighter + 0.05)/(darker + 0.05), 1..21."""
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def caption_band(width: int, height: int) -> Box:
    """Where house captions and the call-to-action card sit: full width, from 18% of the height above the
    lower safe edge to just below it (a three-line caption at its largest is ~16% of the height)."""
    _, _, _, bottom = safe_zone(width, height).box(width, height)
    return Box(0, max(0, round(bottom - 0.18 * height)), width, min(height, round(bottom + 0.03 * height)))


@dataclass(frozen=True)
class CaptionMask:
    """Where a caption's letters (`text`) and their surroundings (`surround`, a ring just outside its outline
    and shadow) are inside `box` (source pixels); `inside_safe` is the share of letter pixels inside the
    platform safe zone (the rest is under the app's buttons and bars)."""

    box: Box
    text: np.ndarray
    surround: np.ndarray
    inside_safe: float

    @classmethod
    def of(cls, caption: PlacedImage, width: int, height: int) -> "CaptionMask":
        """The mask of a caption placed on a width×height frame (as render_caption returns it)."""
        rgba = cv2.imdecode(np.frombuffer(caption.png, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
        if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
            raise ValueError("the caption is not an RGBA PNG")
        alpha = rgba[..., 3]
        fill = (alpha >= FILL_ALPHA) & (cv2.cvtColor(rgba[..., :3], cv2.COLOR_BGR2GRAY) >= FILL_LUMA)
        ring = max(3, round(min(width, height) * 0.02))
        pad = ring + 1
        box = Box(max(0, caption.x - pad), max(0, caption.y - pad),
                  min(width, caption.x + rgba.shape[1] + pad), min(height, caption.y + rgba.shape[0] + pad))
        text = np.zeros((box.height, box.width), dtype=np.uint8)
        footprint = np.zeros_like(text)
        ox, oy = caption.x - box.x0, caption.y - box.y0
        visible = (slice(max(0, oy), min(box.height, oy + rgba.shape[0])),
                   slice(max(0, ox), min(box.width, ox + rgba.shape[1])))
        source = (slice(visible[0].start - oy, visible[0].stop - oy), slice(visible[1].start - ox,
                                                                               visible[1].stop - ox))
        text[visible] = fill[source]
        footprint[visible] = alpha[source] >= FOOTPRINT_ALPHA
        near = cv2.dilate(footprint, np.ones((3, 3), np.uint8))
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ring + 1, 2 * ring + 1))
        far = cv2.dilate(footprint, disc)
        surround = (far > 0) & (near == 0)
        sx0, sy0, sx1, sy1 = safe_zone(width, height).box(width, height)
        ys, xs = np.nonzero(text)
        inside = ((xs + box.x0 >= sx0) & (xs + box.x0 < sx1) & (ys + box.y0 >= sy0) & (ys + box.y0 < sy1))
        share = float(inside.mean()) if len(xs) else 0.0
        return cls(box, text > 0, surround, share)


def legibility_of_frame(crop: np.ndarray, mask: CaptionMask) -> float:
    """100·clip(ln(C)/ln 4.5, 0, 1) for one crop of the caption box, C = WCAG contrast ratio between the
    median relative luminance of the letter pixels and of the ring around the caption."""
    if not mask.text.any() or not mask.surround.any():
        return 0.0
    luminance = relative_luminance(crop)
    ratio = contrast_ratio(float(np.median(luminance[mask.text])), float(np.median(luminance[mask.surround])))
    return ramp(math.log(ratio), 0.0, math.log(FULL_RATIO))


def caption_legibility(crops: np.ndarray, mask: CaptionMask) -> float:
    """Median over frames of the per-frame contrast score (legibility_of_frame), times the share of letters
    inside the safe zone. `crops` are N×h×w×3 BGR crops of `mask.box` at the source resolution. The median
    ignores the few frames of a caption's fade in or out."""
    if crops.ndim == 3:
        crops = crops[None]
    if crops.shape[1:3] != mask.text.shape:
        raise ValueError(f"crops {crops.shape[1:3]} do not match the caption box {mask.text.shape}")
    return float(np.median([legibility_of_frame(c, mask) for c in crops])) * mask.inside_safe
