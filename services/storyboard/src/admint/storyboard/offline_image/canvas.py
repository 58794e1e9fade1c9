"""Pixel toolkit of the offline renderer: palette colours, gradients, glows, soft blurs, sprites, grading.

Images are float32 BGR arrays in [0, 1] (OpenCV's channel order, so encoding needs no shuffle). Sizes and
positions are fractions of the frame, so a 180×320 test frame and a 1080×1920 master share one layout.
Large blurs run on a downscaled copy: backgrounds are smooth, and full-resolution blurs would dominate
the cost.
"""

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

Colour = np.ndarray  # shape (3,), BGR floats in [0, 1]


def hex_colour(value: str) -> Colour:
    r, g, b = (int(value[i : i + 2], 16) / 255.0 for i in (1, 3, 5))
    return np.array([b, g, r], dtype=np.float32)


def luminance(colour: Colour) -> float:
    b, g, r = (float(c) for c in colour)
    return 0.0722 * b + 0.7152 * g + 0.2126 * r


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return (a * (1 - t) + b * t).astype(np.float32)


def lighten(colour: Colour, amount: float) -> Colour:
    return mix(colour, np.ones(3, np.float32), amount)


def darken(colour: Colour, amount: float) -> Colour:
    return (colour * (1 - amount)).astype(np.float32)


def saturate(colour: Colour, amount: float) -> Colour:
    grey = np.full(3, luminance(colour), np.float32)
    return np.clip(grey + (colour - grey) * amount, 0, 1).astype(np.float32)


@dataclass(frozen=True)
class Palette:
    """The plan's palette in roles: backdrop, accent (the product), light, shadow, extras for props."""

    backdrop: Colour
    accent: Colour
    light: Colour
    shadow: Colour
    extras: tuple[Colour, ...]

    @classmethod
    def from_hex(cls, colours: list[str]) -> "Palette":
        parsed = [hex_colour(c) for c in colours]
        backdrop, accent = parsed[0], parsed[1]
        rest = parsed[2:]
        if abs(luminance(accent) - luminance(backdrop)) < 0.18:
            # the product must read against the backdrop: push it the other way
            accent = lighten(accent, 0.45) if luminance(backdrop) < 0.5 else darken(accent, 0.45)
        light = max(rest, key=luminance) if rest else lighten(backdrop, 0.7)
        if luminance(light) < 0.6:
            light = lighten(light, 0.6)
        shadow = min([backdrop, *rest], key=luminance)
        shadow = darken(shadow, 0.55) if luminance(shadow) > 0.25 else darken(shadow, 0.2)
        extras = tuple(c for c in rest if c is not light) or (mix(accent, light, 0.5),)
        return cls(backdrop, accent, light, shadow, extras)

    @property
    def dark_backdrop(self) -> bool:
        return luminance(self.backdrop) < 0.45


def fill(h: int, w: int, colour: Colour) -> np.ndarray:
    return np.broadcast_to(colour, (h, w, 3)).astype(np.float32)


def vertical_gradient(h: int, w: int, top: Colour, bottom: Colour, power: float = 1.0) -> np.ndarray:
    t = np.linspace(0.0, 1.0, h, dtype=np.float32) ** power
    column = top[None, :] * (1 - t[:, None]) + bottom[None, :] * t[:, None]
    return np.ascontiguousarray(np.broadcast_to(column[:, None, :], (h, w, 3)))


def radial(h: int, w: int, cx: float, cy: float, rx: float, ry: float | None = None) -> np.ndarray:
    """Normalised distance from (cx, cy) in fractions of the frame; radius rx of the width (ry of height)."""
    ry = ry if ry is not None else rx * w / h
    xs = (np.arange(w, dtype=np.float32) / w - cx) / max(rx, 1e-6)
    ys = (np.arange(h, dtype=np.float32) / h - cy) / max(ry, 1e-6)
    return np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)


def smooth_field(h: int, w: int, fn: Callable[[int, int], np.ndarray], factor: int = 4) -> np.ndarray:
    """Evaluate a smooth per-pixel field at 1/factor resolution and upscale: smooth fields lose nothing."""
    sh, sw = max(4, h // factor), max(4, w // factor)
    field = fn(sh, sw).astype(np.float32)
    return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR) if (sh, sw) != (h, w) else field


def expand(alpha: np.ndarray) -> np.ndarray:
    """H×W → H×W×3 (contiguous): numpy broadcasting over a trailing axis of 3 is several times slower."""
    return cv2.cvtColor(np.ascontiguousarray(alpha, dtype=np.float32), cv2.COLOR_GRAY2BGR)


def scale_channels(img: np.ndarray, colour: Colour, dst: np.ndarray | None = None) -> np.ndarray:
    """Multiply each channel by the colour's component (OpenCV's per-channel scalar: fast, contiguous)."""
    scalar = (float(colour[0]), float(colour[1]), float(colour[2]), 0.0)
    out: np.ndarray = cv2.multiply(img, scalar, dst=dst)  # type: ignore[call-overload]  # stubs omit scalars
    return out


def tinted(alpha: np.ndarray, colour: Colour) -> np.ndarray:
    """alpha (H×W) times a colour → H×W×3."""
    return scale_channels(expand(alpha), colour)


def screen(img: np.ndarray, amount: np.ndarray, colour: Colour) -> None:
    """Add light in place without clipping: img ← img + (1 − img)·amount·colour."""
    layer = tinted(amount, colour)
    lit = img * layer
    img += layer
    img -= lit


def glow(
    img: np.ndarray,
    cx: float,
    cy: float,
    radius: float,
    colour: Colour,
    strength: float,
    ry: float | None = None,
) -> None:
    """Add a soft light (screen-like) centred at (cx, cy)."""
    h, w = img.shape[:2]
    falloff = smooth_field(h, w, lambda sh, sw: np.exp(-(radial(sh, sw, cx, cy, radius, ry) ** 2) * 2.2))
    screen(img, falloff * strength, colour)


def blend(img: np.ndarray, layer: np.ndarray | Colour, alpha: np.ndarray | float) -> None:
    """img ← img·(1−α) + layer·α, in place; α may be a map (H×W) or a scalar.

    With a map, only its bounding box is touched, so a small shape on a big frame costs a small region.
    """
    layer = np.asarray(layer, np.float32)
    if not isinstance(alpha, np.ndarray):
        img *= 1 - alpha
        img += layer * alpha
        return
    x, y, w, h = cv2.boundingRect((alpha > 1e-3).astype(np.uint8))
    if w == 0 or h == 0:
        return
    box = (slice(y, y + h), slice(x, x + w))
    a3 = expand(alpha[box])
    target = img[box]
    target *= 1 - a3
    if layer.ndim == 1:
        target += scale_channels(a3, layer)
    else:
        target += layer[box] * a3


def soft_blur(arr: np.ndarray, sigma_frac: float) -> np.ndarray:
    """Gaussian blur with sigma as a fraction of the frame's short side, computed on a downscaled copy."""
    h, w = arr.shape[:2]
    sigma = sigma_frac * min(h, w)
    if sigma < 0.6:
        return arr
    factor = max(1, int(sigma / 3))
    small = cv2.resize(arr, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


@dataclass
class Sprite:
    """A rendered element: colour and coverage, positioned by its top-left corner when pasted."""

    rgb: np.ndarray
    alpha: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return self.alpha.shape[1], self.alpha.shape[0]

    def flipped(self) -> "Sprite":
        return Sprite(self.rgb[::-1].copy(), self.alpha[::-1].copy())

    def scaled(self, factor: float) -> "Sprite":
        w, h = self.size
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        return Sprite(
            cv2.resize(self.rgb, size, interpolation=interpolation),
            cv2.resize(self.alpha, size, interpolation=interpolation),
        )


def _clip(img: np.ndarray, x: int, y: int, w: int, h: int) -> tuple[slice, slice, slice, slice] | None:
    H, W = img.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x0 >= x1 or y0 >= y1:
        return None
    return slice(y0, y1), slice(x0, x1), slice(y0 - y, y1 - y), slice(x0 - x, x1 - x)


def crop_to_frame(sprite: Sprite, x: int, y: int, w: int, h: int) -> tuple[Sprite, int, int]:
    """The part of a sprite at (x, y) that falls inside a w×h frame, with its new corner (saves work)."""
    x0, y0 = max(0, -x), max(0, -y)
    x1, y1 = min(sprite.size[0], w - x), min(sprite.size[1], h - y)
    if x0 >= x1 or y0 >= y1:
        return Sprite(sprite.rgb[:1, :1], sprite.alpha[:1, :1] * 0), 0, 0
    return Sprite(sprite.rgb[y0:y1, x0:x1], sprite.alpha[y0:y1, x0:x1]), x + x0, y + y0


def paste(img: np.ndarray, sprite: Sprite, x: int, y: int, opacity: float = 1.0) -> None:
    h, w = sprite.alpha.shape
    region = _clip(img, x, y, w, h)
    if region is None:
        return
    ys, xs, sy, sx = region
    a = expand(sprite.alpha[sy, sx] * opacity)
    target = img[ys, xs]
    target *= 1 - a
    target += sprite.rgb[sy, sx] * a


def darken_under(img: np.ndarray, mask: np.ndarray, x: int, y: int, strength: float, tint: Colour) -> None:
    """Multiply a soft shadow (mask placed at x, y) into the image, tinted by the palette's shadow colour."""
    h, w = mask.shape
    region = _clip(img, x, y, w, h)
    if region is None:
        return
    ys, xs, sy, sx = region
    # multiply by (1 − a) + tint·a = 1 − a·(1 − tint)
    target = img[ys, xs]
    target *= 1 - tinted(mask[sy, sx] * strength, 1 - tint)


def shadow_mask(alpha: np.ndarray, blur_px: float, squash: float = 1.0) -> np.ndarray:
    """A blurred (optionally vertically squashed) copy of a coverage mask, padded so the blur is not cut."""
    pad = int(blur_px * 3) + 1
    padded = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    if squash != 1.0:
        h, w = padded.shape
        padded = cv2.resize(padded, (w, max(1, round(h * squash))), interpolation=cv2.INTER_AREA)
    if blur_px >= 0.5:
        padded = cv2.GaussianBlur(padded, (0, 0), blur_px)
    return padded


def grade(
    img: np.ndarray,
    *,
    saturation: float,
    contrast: float,
    tint: Colour | None = None,
    tint_amount: float = 0.0,
) -> None:
    """Global colour grade in place: saturation and contrast around mid-grey, optional colour cast."""
    if saturation != 1.0:
        grey = expand(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
        cv2.addWeighted(img, saturation, grey, 1 - saturation, 0.0, dst=img)
    if contrast != 1.0:
        cv2.addWeighted(img, contrast, img, 0.0, 0.5 * (1 - contrast), dst=img)
    if tint is not None and tint_amount > 0:
        scale = 1 - tint_amount + tint_amount * (tint / max(float(tint.max()), 1e-3))
        scale_channels(img, scale, dst=img)
    np.clip(img, 0, 1, out=img)


def vignette(img: np.ndarray, strength: float) -> None:
    h, w = img.shape[:2]
    falloff = smooth_field(
        h, w, lambda sh, sw: 1 - strength * np.clip(radial(sh, sw, 0.5, 0.45, 0.75, 0.75) - 0.35, 0, 1) ** 1.6
    )
    img *= expand(falloff)


def bloom(img: np.ndarray, threshold: float = 0.78, strength: float = 0.35) -> None:
    """Highlights bleed softly: bright-pass and blur on a downscaled copy, added back."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(4, w // 8), max(4, h // 8)), interpolation=cv2.INTER_AREA)
    bright = np.clip(small - threshold, 0, 1) * (strength / (1 - threshold))
    bright = cv2.GaussianBlur(bright, (0, 0), max(1.0, min(h, w) * 0.03 / 8))
    img += cv2.resize(bright, (w, h), interpolation=cv2.INTER_LINEAR)
    np.clip(img, 0, 1, out=img)


def grain(img: np.ndarray, rng: np.random.Generator, amount: float) -> None:
    """Triangular dither noise: hides gradient banding after quantisation to 8 bits."""
    h, w = img.shape[:2]
    noise = (rng.random((h, w), dtype=np.float32) - rng.random((h, w), dtype=np.float32)) * amount
    img += expand(noise)
    np.clip(img, 0, 1, out=img)


def to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
