"""Rendition geometry: target sizes, where to crop, when to pad instead, and the ffmpeg filter for each.

Pure functions over a saliency map (edge energy of the master, averaged over time). A crop keeps one window of the
master at the target aspect, placed where the most detail is (captions and the product have strong edges), with
a gentle pull to the centre. When that window would lose too much — too little of the picture's area, or of its
detail — the rendition is padded instead: the whole master, scaled to fit, over a blurred fill of itself.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

from admint.contracts.common import ASPECT_RATIOS, FrameSize, platform_long_side, platform_size

Method = Literal["master", "crop", "pad"]
"""master: the master itself (its own aspect, no re-encode)."""


@dataclass(frozen=True)
class Policy:
    method: Literal["auto", "crop", "pad"] = "auto"
    min_area: float = 0.5
    """Crop only when the window keeps at least this share of the master's area."""
    min_detail: float = 0.8
    """… and at least this share of its detail (edge energy)."""
    centre_pull: float = 0.15
    """How much a crop prefers the centre (0: detail only)."""


@dataclass(frozen=True)
class Crop:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class RenditionPlan:
    aspect: str
    size: FrameSize
    method: Method
    crop: Crop | None
    area_kept: float
    detail_kept: float


def rendition_size(aspect: str, master: FrameSize) -> FrameSize:
    """Platform size at the master's scale (`platform_size`): 9:16 and 16:9 share one long side (1080×1920,
    1920×1080), 1:1 takes their short side (1080×1080), whichever aspect the master has, so every file of one
    aspect has one size (a 1:1 master is 1080×1080 too)."""
    return platform_size(aspect, platform_long_side(master))


def crop_extent(master: FrameSize, aspect: str) -> tuple[int, int]:
    """The largest window of the target aspect inside the master (even sides)."""
    aw, ah = ASPECT_RATIOS[aspect]
    if master.width * ah >= master.height * aw:  # master is wider: crop the width
        height = master.height
        width = min(master.width, round(height * aw / ah / 2) * 2)
    else:
        width = master.width
        height = min(master.height, round(width * ah / aw / 2) * 2)
    return width, height


def best_offset(profile: np.ndarray, window: int, centre_pull: float) -> tuple[int, float]:
    """Start index of the `window`-long span with the most energy (nudged to the centre) and its energy share."""
    n = profile.size
    if window >= n:
        return 0, 1.0
    total = float(profile.sum())
    sums = np.convolve(profile, np.ones(window), mode="valid")  # sums[i] = profile[i:i+window].sum()
    share = sums / total if total > 0 else np.full(sums.size, window / n)
    centre = (n - window) / 2
    distance = np.abs(np.arange(sums.size) - centre) / max(centre, 1.0)
    best = int(np.argmax(share - centre_pull * distance * distance))
    return best, float(share[best])


def master_rendition(aspect: str, master: FrameSize) -> RenditionPlan:
    return RenditionPlan(aspect, master, "master", None, 1.0, 1.0)


def plan_rendition(aspect: str, master: FrameSize, saliency: np.ndarray | None, policy: Policy) -> RenditionPlan:
    """Decide crop or pad for one aspect. `saliency` is a (rows, cols) map of the whole master, any resolution."""
    size = rendition_size(aspect, master)
    cw, ch = crop_extent(master, aspect)
    area = cw * ch / (master.width * master.height)
    horizontal = cw < master.width
    extent, full = (cw, master.width) if horizontal else (ch, master.height)
    if saliency is not None and saliency.size and float(saliency.sum()) > 0:
        profile = saliency.sum(axis=0 if horizontal else 1).astype(np.float64)
        scale = profile.size / full
        start, detail = best_offset(profile, max(1, round(extent * scale)), policy.centre_pull)
        offset = min(full - extent, round(start / scale / 2) * 2)
    else:
        offset, detail = (full - extent) // 2 // 2 * 2, area
    crop = Crop(offset, 0, cw, ch) if horizontal else Crop(0, offset, cw, ch)
    if policy.method == "auto":
        method: Method = "crop" if area >= policy.min_area and detail >= policy.min_detail else "pad"
    else:
        method = policy.method
    return RenditionPlan(aspect, size, method, crop if method == "crop" else None, round(area, 4), round(detail, 4))


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def video_filter(plan: RenditionPlan, master: FrameSize) -> str:
    """ffmpeg filter graph (input [0:v], output [v]) that turns the master into this rendition."""
    w, h = plan.size.width, plan.size.height
    if plan.method == "master":
        raise ValueError("the master's own rendition is not re-encoded")
    if plan.method == "crop":
        assert plan.crop is not None
        c = plan.crop
        return f"[0:v]crop={c.width}:{c.height}:{c.x}:{c.y},scale={w}:{h}:flags=lanczos,setsar=1[v]"
    fit = min(w / master.width, h / master.height)
    fw, fh = min(w, _even(master.width * fit)), min(h, _even(master.height * fit))
    bw, bh = _even(w / 8), _even(h / 8)
    return (
        "[0:v]split=2[bg][fg];"
        f"[bg]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},gblur=sigma=6,"
        f"eq=brightness=-0.06:saturation=0.85,scale={w}:{h}:flags=bicubic[bgb];"
        f"[fg]scale={fw}:{fh}:flags=lanczos[fgs];"
        f"[bgb][fgs]overlay=({w}-{fw})/2:({h}-{fh})/2,setsar=1[v]"
    )
