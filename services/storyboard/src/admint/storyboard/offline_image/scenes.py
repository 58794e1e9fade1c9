"""Composition by shot type: where the product sits, how big, on what set, under which light.

Subjects stay inside the platform safe area and above the caption band (the chunker burns captions in later,
so frames carry no text); scale follows the shot: wide ≈ a quarter of the safe height, close-up ≈ four fifths,
extreme close-up and detail overflow the frame on purpose.

Sets (sweeps, glows, bokeh, skylines, spotlights) are smooth, so they are painted at quarter resolution and
upscaled once; only the sharp elements (product, figures, props) are drawn at full resolution.
"""

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from admint.contracts.plan import Beat
from admint.media.captions import safe_zone
from admint.storyboard.offline_image.canvas import (
    Palette,
    Sprite,
    blend,
    crop_to_frame,
    darken,
    darken_under,
    expand,
    glow,
    lighten,
    mix,
    paste,
    radial,
    saturate,
    screen,
    shadow_mask,
    smooth_field,
    soft_blur,
    tinted,
    vertical_gradient,
)
from admint.storyboard.offline_image.cutout import Cutout
from admint.storyboard.offline_image.shapes import (
    ASPECT,
    figure_sprite,
    product_sprite,
    prop_sprite,
    star_sprite,
)

PEOPLE_BEATS = {
    "problem_moment",
    "in_use_medium",
    "social_proof",
    "emotional_closeup",
    "frustration_closeup",
    "energy_montage",
}
NO_PRODUCT_BEATS = {"problem_moment", "frustration_closeup"}
TROUBLE_ROLES = {"problem", "agitation"}
SET_SCALE = 4
Paint = Callable[[np.ndarray], None]


@dataclass
class Scene:
    """Everything a composition needs, with the frame geometry precomputed."""

    w: int
    h: int
    beat: Beat
    palette: Palette
    rng: np.random.Generator
    shape: str
    cutout: Cutout | None
    light_x: float
    metallic: bool

    def __post_init__(self) -> None:
        x0, y0, x1, y1 = safe_zone(self.w, self.h).box(self.w, self.h)
        caption_band = 0.15 * (y1 - y0)
        self.box = (x0, y0, x1, round(y1 - caption_band))
        self.cx = (x0 + x1) / 2

    @property
    def box_h(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def box_w(self) -> int:
        return self.box[2] - self.box[0]

    def fy(self, t: float) -> float:
        """A height inside the subject box (0 top … 1 bottom) as a fraction of the frame."""
        return (self.box[1] + t * self.box_h) / self.h

    @property
    def troubled(self) -> bool:
        return self.beat.role in TROUBLE_ROLES or self.beat.beat_id in NO_PRODUCT_BEATS

    def product(self, height: float, max_width: float | None = None) -> Sprite:
        """The product (uploaded cut-out, or the silhouette) fitted into height × max_width pixels."""
        max_width = max_width or self.box_w * 0.9
        if self.cutout is not None:
            w, h = self.cutout.sprite.size
            return self.cutout.sprite.scaled(min(height / h, max_width / w))
        height = min(height, max_width / ASPECT[self.shape])
        return product_sprite(self.shape, round(height), self.palette, self.light_x, self.metallic)


# ---- sets, painted at quarter resolution ------------------------------------------------------------


def painted_set(s: Scene, *layers: Paint) -> np.ndarray:
    low_w, low_h = max(16, s.w // SET_SCALE), max(16, s.h // SET_SCALE)
    low = np.zeros((low_h, low_w, 3), np.float32)
    for layer in layers:
        layer(low)
    return cv2.resize(low, (s.w, s.h), interpolation=cv2.INTER_CUBIC)


def sweep_backdrop(s: Scene, *, key_y: float = 0.16, key: float = 0.45) -> Paint:
    """Graded sweep, key light on the light side, a coloured fill from the opposite corner."""
    p = s.palette

    def paint(img: np.ndarray) -> None:
        h, w = img.shape[:2]
        top, bottom = (
            (lighten(p.backdrop, 0.1), darken(p.backdrop, 0.45))
            if p.dark_backdrop
            else (lighten(p.backdrop, 0.3), darken(p.backdrop, 0.22))
        )
        img[:] = vertical_gradient(h, w, top, bottom, power=1.3)
        glow(img, 0.5 + 0.32 * s.light_x, key_y, 0.75, p.light, key * (1.0 if p.dark_backdrop else 0.6))
        glow(img, 0.5 - 0.45 * s.light_x, 0.92, 0.6, p.extras[0], 0.22)

    return paint


def floor_plane(s: Scene, horizon: float) -> Paint:
    p = s.palette

    def paint(img: np.ndarray) -> None:
        h, w = img.shape[:2]
        floor = vertical_gradient(h, w, mix(p.backdrop, p.shadow, 0.25), mix(p.backdrop, p.shadow, 0.6))
        ramp = np.clip((np.arange(h, dtype=np.float32) / h - horizon) / 0.008 + 0.5, 0, 1)
        blend(img, floor, np.ascontiguousarray(np.broadcast_to(ramp[:, None], (h, w))))
        glow(img, s.cx / s.w, horizon + 0.05, 0.45, p.light, 0.18, ry=0.05)

    return paint


def bokeh(s: Scene, count: int, y_range: tuple[float, float], strength: float) -> Paint:
    """Out-of-focus highlights: depth without a depth map."""
    colours = [s.palette.light, *s.palette.extras]
    discs = [
        (
            s.rng.uniform(0.03, 0.11),
            s.rng.uniform(0, 1),
            s.rng.uniform(*y_range),
            colours[int(s.rng.integers(len(colours)))],
            s.rng.uniform(0.3, 1.0),
        )
        for _ in range(count)
    ]

    def paint(img: np.ndarray) -> None:
        h, w = img.shape[:2]
        layer = np.zeros_like(img)
        for r, x, y, colour, level in discs:
            cv2.circle(
                layer,
                (int(x * w), int(y * h)),
                max(1, int(r * w)),
                tuple(float(c) * level for c in colour),
                -1,
                cv2.LINE_AA,
            )
        layer = cv2.GaussianBlur(layer, (0, 0), max(0.8, w * 0.012))
        img += layer * strength * (1 - img)

    return paint


def skyline(s: Scene, horizon: float) -> Paint:
    """Soft masses on the horizon: an environment suggested, not drawn."""
    blocks, x = [], 0.0
    while x < 1.0:
        bw = s.rng.uniform(0.08, 0.2)
        blocks.append((x, bw, s.rng.uniform(0.06, 0.26)))
        x += bw + s.rng.uniform(0.0, 0.06)
    colour = mix(s.palette.backdrop, s.palette.shadow, 0.45)

    def paint(img: np.ndarray) -> None:
        h, w = img.shape[:2]
        mask = np.zeros((h, w), np.float32)
        for x0, bw, bh in blocks:
            cv2.rectangle(
                mask, (int(x0 * w), int((horizon - bh) * h)), (int((x0 + bw) * w), int(horizon * h)), 1.0, -1
            )
        blend(img, colour, cv2.GaussianBlur(mask, (0, 0), max(0.8, w * 0.012)) * 0.55)

    return paint


def spotlight(s: Scene) -> Paint:
    def paint(img: np.ndarray) -> None:
        h, w = img.shape[:2]
        xs, ys = _grid(h, w)
        width = 0.08 + 0.35 * ys
        cone = np.clip(1 - np.abs(xs - s.cx / s.w) / width, 0, 1) ** 1.5 * np.clip(1.1 - ys, 0, 1)
        screen(img, cv2.GaussianBlur(cone, (0, 0), max(0.8, w * 0.02)) * 0.28, s.palette.light)

    return paint


def halo(s: Scene, cy: float) -> Paint:
    def paint(img: np.ndarray) -> None:
        h, w = img.shape[:2]
        screen(img, np.exp(-(radial(h, w, s.cx / s.w, cy, 0.42) ** 2) * 3) * 0.35, s.palette.light)

    return paint


def marble(s: Scene) -> Paint:
    noise = s.rng.standard_normal((12, 8)).astype(np.float32)
    tone = (
        darken(s.palette.backdrop, 0.22) if not s.palette.dark_backdrop else lighten(s.palette.backdrop, 0.18)
    )

    def paint(img: np.ndarray) -> None:
        h, w = img.shape[:2]
        p = s.palette
        img[:] = vertical_gradient(h, w, lighten(p.backdrop, 0.12), darken(p.backdrop, 0.12))
        warp = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
        xs, ys = _grid(h, w)
        phase = (xs * 2.2 + ys * 3.1 + warp * 0.18) * np.pi
        veins = np.abs(np.sin(phase)) ** 60 + 0.5 * np.abs(np.sin(phase * 2.7 + warp)) ** 90
        blend(img, tone, np.clip(cv2.GaussianBlur(veins, (0, 0), 0.6) * 0.45, 0, 1))
        glow(img, 0.5 + 0.3 * s.light_x, 0.2, 0.9, p.light, 0.25)

    return paint


# ---- placing sharp elements at full resolution ------------------------------------------------------


def place(
    img: np.ndarray,
    s: Scene,
    sprite: Sprite,
    cx: float,
    base_y: float,
    *,
    reflect: float = 0.0,
    shadow: float = 0.6,
    cutout_rim: bool = True,
) -> tuple[int, int]:
    """Stand a sprite on base_y at cx with a contact shadow, a cast shadow and an optional reflection.

    The sprite is kept inside the safe area's width when it fits there (UI rails must not cover it).
    """
    w, h = sprite.size
    if w <= s.box_w:
        cx = min(max(cx, s.box[0] + w / 2), s.box[2] - w / 2)
    x, y = round(cx - w / 2), round(base_y - h)
    if shadow > 0:
        cw, ch = max(4, round(w * 1.3)), max(4, h // 6)
        contact = np.zeros((ch, cw), np.float32)
        cv2.ellipse(contact, (cw // 2, ch // 2), (cw // 2, max(1, ch // 4)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
        contact = shadow_mask(contact, max(1.0, h * 0.02))
        darken_under(
            img,
            contact,
            round(cx - contact.shape[1] / 2),
            round(base_y - contact.shape[0] / 2),
            shadow,
            s.palette.shadow,
        )
        cast = shadow_mask(sprite.alpha, max(1.0, h * 0.04), squash=0.18)
        darken_under(
            img,
            cast,
            round(x - s.light_x * w * 0.35) - (cast.shape[1] - w) // 2,
            round(base_y - cast.shape[0] * 0.45),
            shadow * 0.5,
            s.palette.shadow,
        )
    if reflect > 0:
        mirror = sprite.flipped()
        fade = np.linspace(reflect, 0, h, dtype=np.float32) ** 1.5
        paste(img, Sprite(mirror.rgb, mirror.alpha * fade[:, None]), x, round(base_y))
    paste(img, sprite, x, y)
    if s.cutout is not None and cutout_rim:
        rim_from_edges(img, s, sprite, x, y)
    return x, y


def rim_from_edges(img: np.ndarray, s: Scene, sprite: Sprite, x: int, y: int) -> None:
    """The cut-out's Canny edges, softened and tinted by the key light, seat the photo in the scene."""
    assert s.cutout is not None
    w, h = sprite.size
    edges = cv2.resize(s.cutout.edges, (w, h), interpolation=cv2.INTER_AREA)
    side = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * s.light_x
    rim = cv2.GaussianBlur(edges, (0, 0), max(0.7, min(w, h) * 0.004)) * np.clip(0.1 + 0.9 * side, 0, 1)
    light = np.ascontiguousarray(np.broadcast_to(s.palette.light, (h, w, 3)), dtype=np.float32)
    paste(img, Sprite(light, np.clip(rim * 0.4, 0, 1) * sprite.alpha), x, y)


def figure(
    img: np.ndarray, s: Scene, height: float, cx: float, base_y: float, slump: float = 0.0, full: bool = False
) -> None:
    p = s.palette
    colour = mix(p.backdrop, p.light, 0.16) if p.dark_backdrop else mix(p.shadow, p.backdrop, 0.3)
    sprite = figure_sprite(round(height), colour, lighten(p.light, 0.3), s.light_x, slump, full)
    w, h = sprite.size
    if full:
        place(img, s, sprite, cx, base_y, shadow=0.5, cutout_rim=False)
    else:
        paste(img, sprite, round(cx - w / 2), round(base_y - h))


def compose(s: Scene) -> np.ndarray:
    return {
        "wide": wide,
        "medium": medium,
        "close_up": close_up,
        "extreme_close_up": extreme_close_up,
        "detail": detail,
        "overhead": overhead,
        "product_hero": product_hero,
    }.get(s.beat.shot_type, product_hero)(s)


def wide(s: Scene) -> np.ndarray:
    horizon = s.fy(0.66)
    img = painted_set(s, sweep_backdrop(s, key_y=0.3, key=0.55), floor_plane(s, horizon), skyline(s, horizon))
    side = 1 if s.rng.random() < 0.5 else -1
    if s.beat.beat_id in PEOPLE_BEATS:
        figure(
            img, s, s.box_h * 0.62, s.cx - side * s.box_w * 0.14, horizon * s.h + s.box_h * 0.16, full=True
        )
    place(
        img,
        s,
        s.product(s.box_h * 0.26, max_width=s.box_w * 0.5),
        s.cx + side * s.box_w * 0.2,
        horizon * s.h + s.box_h * 0.1,
        reflect=0.12,
    )
    if s.beat.energy > 0.7:
        _streaks(img, s)
    return img


def medium(s: Scene) -> np.ndarray:
    table = s.fy(0.82)
    img = painted_set(s, sweep_backdrop(s), floor_plane(s, table), bokeh(s, 10, (0.05, table - 0.05), 0.35))
    bid = s.beat.beat_id
    if bid == "transformation":
        return _before_after(img, s, table)
    if bid in PEOPLE_BEATS:
        figure(
            img, s, s.box_h * 0.66, s.cx - s.box_w * 0.12, table * s.h + 2, slump=0.6 if s.troubled else 0.0
        )
    if bid in NO_PRODUCT_BEATS:
        _clutter(img, s, table)
        return img
    place(img, s, s.product(s.box_h * 0.44), s.cx + s.box_w * 0.2, table * s.h + s.box_h * 0.05, reflect=0.1)
    return img


def close_up(s: Scene) -> np.ndarray:
    img = painted_set(s, sweep_backdrop(s, key=0.5), bokeh(s, 16, (0.0, 0.9), 0.5))
    bid = s.beat.beat_id
    base = s.box[3]
    if bid in ("social_proof", "emotional_closeup", "frustration_closeup"):
        figure(
            img,
            s,
            s.box_h * 1.05,
            s.cx - (0 if bid == "frustration_closeup" else s.box_w * 0.1),
            s.h + 2,
            slump=0.5 if s.troubled else 0.0,
        )
        if bid == "social_proof":
            _stars(img, s, s.box[1] + s.box_h * 0.02)
        if bid != "frustration_closeup":
            place(img, s, s.product(s.box_h * 0.4), s.cx + s.box_w * 0.3, base, shadow=0.3)
        return img
    if bid == "unboxing":
        _open_box(img, s, base)
        place(img, s, s.product(s.box_h * 0.62), s.cx, base - s.box_h * 0.24, shadow=0.0)
        return img
    place(img, s, s.product(s.box_h * 0.82), s.cx, base, reflect=0.08)
    return img


def extreme_close_up(s: Scene) -> np.ndarray:
    img = painted_set(s, sweep_backdrop(s, key=0.6), bokeh(s, 12, (0.0, 1.0), 0.6))
    sprite = s.product(s.box_h * 1.9, max_width=s.w * 1.6)
    w, h = sprite.size
    fx, fy = s.cutout.detail_centre() if s.cutout is not None else (0.5, 0.42)
    x, y = round(s.cx - fx * w), round(s.box[1] + s.box_h * 0.45 - fy * h)
    paste(img, sprite, x, y)
    if s.cutout is not None:
        rim_from_edges(img, s, sprite, x, y)
    _focus_falloff(img, s, centre=s.fy(0.45), depth=0.22)
    _sweep(img, s, 0.4)
    return img


def detail(s: Scene) -> np.ndarray:
    img = painted_set(s, sweep_backdrop(s, key=0.4))
    if s.cutout is not None:
        sprite = s.product(s.box_h * 3.2, max_width=s.w * 3.2)
        fx, fy = s.cutout.detail_centre()
        w, h = sprite.size
        x, y = round(s.cx - fx * w), round(s.box[1] + s.box_h * 0.45 - fy * h)
        paste(img, sprite, x, y)
        rim_from_edges(img, s, sprite, x, y)
    else:
        sprite = s.product(s.box_h * 2.6, max_width=s.w * 2.4)
        w, h = sprite.size
        x, y = round(s.w * (0.5 + 0.28 * s.light_x) - w * 0.5), round(s.box[1] - h * 0.18)
        visible, x, y = crop_to_frame(sprite, x, y, s.w, s.h)
        paste(img, _brushed(s, visible), x, y)
    _focus_falloff(img, s, centre=s.fy(0.45), depth=0.16)
    _sweep(img, s, 0.3)
    return img


def overhead(s: Scene) -> np.ndarray:
    p = s.palette
    img = painted_set(s, marble(s))
    kinds = ["disc", "leaf", "sphere", "card", "pebble", "leaf", "disc", "sphere"]
    colours = [*p.extras, mix(p.accent, p.light, 0.5), lighten(p.backdrop, 0.35)]
    centre_y = s.box[1] + s.box_h * 0.5
    n = 7
    for i in range(n):
        angle = 2 * np.pi * i / n + s.rng.uniform(-0.3, 0.3)
        radius = s.box_w * s.rng.uniform(0.42, 0.62)
        kind = kinds[int(s.rng.integers(len(kinds)))]
        sprite = prop_sprite(
            kind, round(s.box_w * s.rng.uniform(0.16, 0.3)), colours[i % len(colours)], p.light, s.rng
        )
        w, h = sprite.size
        x = round(s.cx + np.cos(angle) * radius - w / 2)
        y = round(centre_y + np.sin(angle) * radius * 1.1 - h / 2)
        _drop_shadow(img, s, sprite, x, y)
        paste(img, sprite, x, y)
    top = _top_view(s, round(s.box_w * 0.5))
    w, h = top.size
    x, y = round(s.cx - w / 2), round(centre_y - h / 2)
    _drop_shadow(img, s, top, x, y)
    paste(img, top, x, y)
    if s.cutout is not None:
        rim_from_edges(img, s, top, x, y)
    return img


def product_hero(s: Scene) -> np.ndarray:
    if s.beat.beat_id == "brand_endcard":
        floor = s.fy(0.86)
        img = painted_set(
            s, sweep_backdrop(s, key_y=0.05, key=0.7), floor_plane(s, floor), halo(s, s.fy(0.45))
        )
        place(img, s, s.product(s.box_h * 0.62), s.cx, floor * s.h, reflect=0.18)
        return img
    floor = s.fy(0.94)
    img = painted_set(s, sweep_backdrop(s, key_y=0.05, key=0.7), floor_plane(s, floor), spotlight(s))
    top_y = _pedestal(img, s, floor * s.h)
    place(img, s, s.product(s.box_h * 0.62), s.cx, top_y, shadow=0.5)
    return img


# ---- set dressing ----------------------------------------------------------------------------------


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(w, dtype=np.float32)[None, :] / w, np.arange(h, dtype=np.float32)[:, None] / h


def _pedestal(img: np.ndarray, s: Scene, floor_y: float) -> float:
    """A lit cylinder plinth standing on the floor; returns the y of its top surface."""
    p = s.palette
    pw, ph = round(s.box_w * 0.62), round(s.box_h * 0.16)
    ry = max(1, ph // 5)
    sprite_h = ph + 2 * ry + 2
    mask = np.zeros((sprite_h, pw + 2), np.float32)
    cv2.rectangle(mask, (1, ry), (pw, ry + ph), 1.0, -1, cv2.LINE_AA)
    cv2.ellipse(mask, (pw // 2 + 1, ry + ph), (pw // 2, ry), 0, 0, 180, 1.0, -1, cv2.LINE_AA)
    top = np.zeros_like(mask)
    cv2.ellipse(top, (pw // 2 + 1, ry), (pw // 2, ry), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    colour = mix(p.backdrop, p.light, 0.25) if p.dark_backdrop else mix(p.backdrop, p.shadow, 0.2)
    shade = 0.68 + 0.32 * np.clip(np.linspace(-1, 1, pw + 2, dtype=np.float32) * s.light_x, -1, 1)
    body = np.ascontiguousarray(np.broadcast_to(shade[None, :], mask.shape))
    rgb = tinted(body, colour)
    rgb = rgb * (1 - expand(top)) + tinted(top, lighten(colour, 0.3))
    sprite = Sprite(rgb.astype(np.float32), np.maximum(mask, top))
    x, y = round(s.cx - (pw + 2) / 2), round(floor_y - ry - ph)
    contact = shadow_mask(mask[ry + ph - ry :, :], max(1.0, ph * 0.08))
    darken_under(
        img,
        contact,
        x - (contact.shape[1] - pw - 2) // 2,
        round(floor_y - contact.shape[0] / 2),
        0.5,
        p.shadow,
    )
    paste(img, sprite, x, y)
    return y + ry


def _streaks(img: np.ndarray, s: Scene) -> None:
    small = np.zeros((max(16, s.h // 2), max(16, s.w // 2), 3), np.float32)
    h, w = small.shape[:2]
    for _ in range(7):
        y = int(s.rng.uniform(0.2, 0.75) * h)
        x0 = int(s.rng.uniform(-0.2, 0.5) * w)
        length = int(s.rng.uniform(0.3, 0.8) * w)
        colour = s.palette.extras[int(s.rng.integers(len(s.palette.extras)))]
        cv2.line(
            small,
            (x0, y),
            (x0 + length, y - int(length * 0.08)),
            tuple(float(c) for c in colour),
            max(1, h // 300),
            cv2.LINE_AA,
        )
    blurred = cv2.GaussianBlur(small, (0, 0), max(0.6, w * 0.004))
    img += cv2.resize(blurred, (s.w, s.h), interpolation=cv2.INTER_LINEAR) * 0.8 * (1 - img)


def _before_after(img: np.ndarray, s: Scene, table: float) -> np.ndarray:
    """Left: the dull 'before'; right: the vivid 'after' with the product, split on a diagonal."""
    after = img.copy()
    place(
        after, s, s.product(s.box_h * 0.46), s.cx + s.box_w * 0.22, table * s.h + s.box_h * 0.05, reflect=0.1
    )
    glow(after, 0.7, 0.35, 0.5, s.palette.light, 0.35)
    before = img
    _clutter(before, s, table)
    grey = expand(cv2.cvtColor(before, cv2.COLOR_BGR2GRAY))
    cv2.addWeighted(before, 0.25, grey, 0.6, 0.0, dst=before)

    def line(h: int, w: int) -> np.ndarray:
        xs, ys = _grid(h, w)
        return xs - 0.45 - (ys - 0.5) * 0.35

    d = smooth_field(s.h, s.w, line, factor=2)
    split = expand(np.clip(d / 0.01, 0, 1))
    out = before * (1 - split) + after * split
    screen(out, np.exp(-((d / 0.004) ** 2)) * 0.8, s.palette.light)
    return out.astype(np.float32)


def _clutter(img: np.ndarray, s: Scene, table: float) -> None:
    grey = saturate(mix(s.palette.backdrop, s.palette.shadow, 0.5), 0.3)
    for _ in range(6):
        kind = str(s.rng.choice(["card", "pebble", "disc"]))
        sprite = prop_sprite(
            kind,
            round(s.box_w * s.rng.uniform(0.12, 0.24)),
            lighten(grey, s.rng.uniform(0, 0.3)),
            s.palette.light,
            s.rng,
        )
        w, h = sprite.size
        x = round(s.cx + s.rng.uniform(-0.45, 0.45) * s.box_w - w / 2)
        y = round(table * s.h + s.rng.uniform(-0.05, 0.06) * s.box_h - h / 2)
        _drop_shadow(img, s, sprite, x, y)
        paste(img, sprite, x, y)


def _stars(img: np.ndarray, s: Scene, y: float) -> None:
    size = round(s.box_w * 0.1)
    colour = mix(s.palette.light, np.array([0.2, 0.75, 1.0], np.float32), 0.5)
    start = s.cx - 2.5 * size * 1.15
    for i in range(5):
        paste(img, star_sprite(size, colour), round(start + i * size * 1.15), round(y))


def _open_box(img: np.ndarray, s: Scene, base: float) -> None:
    p = s.palette
    bw, bh = round(s.box_w * 0.7), round(s.box_h * 0.3)
    x0, y0 = round(s.cx - bw / 2), round(base - bh)
    body = np.zeros((s.h, s.w), np.float32)
    cv2.rectangle(body, (x0, y0), (x0 + bw, round(base)), 1.0, -1, cv2.LINE_AA)
    inner = np.zeros((s.h, s.w), np.float32)
    cv2.ellipse(inner, (round(s.cx), y0), (bw // 2, max(1, bh // 6)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    lid = np.zeros((s.h, s.w), np.float32)
    pts = np.array(
        [
            [x0 + bw, y0],
            [x0 + bw + bw // 5, y0 - bh],
            [x0 + bw // 5 + bw // 5, y0 - bh - bh // 5],
            [x0 + bw // 6, y0],
        ],
        np.int32,
    )
    cv2.fillPoly(lid, [pts], 1.0, cv2.LINE_AA)
    box_colour = mix(p.shadow, p.accent, 0.35)
    blend(img, lighten(box_colour, 0.15), lid)
    blend(img, box_colour, body)
    blend(img, darken(box_colour, 0.5), inner)
    glow(img, s.cx / s.w, y0 / s.h, 0.25, p.light, 0.5, ry=0.06)


def _top_view(s: Scene, size: int) -> Sprite:
    """The product seen from above: the cut-out as is, or a lit disc / rounded slab in the product colours."""
    if s.cutout is not None:
        return s.product(size * 1.2, max_width=size * 1.2)
    p = s.palette
    if s.shape in ("device", "box", "sneaker", "earbuds"):
        return s.product(size * 1.3, max_width=size)
    outer = prop_sprite("sphere", size, p.accent, p.light, s.rng)
    cap = prop_sprite(
        "sphere", round(size * 0.5), mix(p.light, p.accent, 0.25) if s.metallic else p.shadow, p.light, s.rng
    )
    off = (size - cap.size[0]) // 2
    rgb, alpha = outer.rgb.copy(), outer.alpha.copy()
    region = (slice(off, off + cap.size[1]), slice(off, off + cap.size[0]))
    a = cap.alpha[..., None]
    rgb[region] = rgb[region] * (1 - a) + cap.rgb * a
    return Sprite(rgb, alpha)


def _drop_shadow(img: np.ndarray, s: Scene, sprite: Sprite, x: int, y: int) -> None:
    mask = shadow_mask(sprite.alpha, max(1.0, sprite.size[0] * 0.06))
    pad = (mask.shape[1] - sprite.size[0]) // 2
    offset = round(sprite.size[0] * 0.08)
    darken_under(img, mask, x - pad - round(s.light_x * offset), y - pad + offset, 0.45, s.palette.shadow)


def _brushed(s: Scene, sprite: Sprite) -> Sprite:
    """Brushed-metal / satin streaks across a big product surface: the material read of a detail shot."""
    w, h = sprite.size
    streaks = cv2.resize(
        s.rng.standard_normal((max(8, h // 3), 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR
    )
    streaks = (streaks - streaks.min()) / max(float(streaks.max() - streaks.min()), 1e-6)
    return Sprite(np.clip(sprite.rgb * expand(0.8 + 0.4 * streaks), 0, 1).astype(np.float32), sprite.alpha)


def _sweep(img: np.ndarray, s: Scene, strength: float) -> None:
    """A diagonal specular sweep across the frame: the glint of a macro shot."""
    shift = s.rng.uniform(-0.2, 0.1)

    def band(h: int, w: int) -> np.ndarray:
        xs, ys = _grid(h, w)
        return np.exp(-(((xs * 0.8 - ys * 0.6 - shift) / 0.05) ** 2))

    screen(img, smooth_field(s.h, s.w, band) * strength, s.palette.light)


def _focus_falloff(img: np.ndarray, s: Scene, centre: float, depth: float) -> None:
    """Shallow depth of field: blend towards a blurred copy away from the focal band."""
    blurred = soft_blur(img, 0.025)
    ys = np.arange(s.h, dtype=np.float32) / s.h
    amount = np.clip((np.abs(ys - centre) - depth) / 0.25, 0, 1)
    blend(img, blurred, np.ascontiguousarray(np.broadcast_to(amount[:, None], (s.h, s.w))))
