"""Stylised, lit product silhouettes, figures and props, drawn with anti-aliased OpenCV primitives.

A product word picks the silhouette family (a serum gets a dropper bottle, earbuds a charging case…), so a
storyboard without a product photo still shows something shaped like the thing being sold.
"""

import math
import re

import cv2
import numpy as np

from admint.storyboard.offline_image.canvas import Colour, Palette, Sprite, darken, lighten, mix

SHAPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("earbuds", ("earbuds", "earbud", "headphones", "earphones", "airpods", "headset")),
    ("watch", ("watch", "smartwatch", "timepiece", "chronograph")),
    ("sneaker", ("sneaker", "sneakers", "shoe", "shoes", "trainers", "boots", "boot", "runners")),
    (
        "device",
        (
            "phone",
            "smartphone",
            "app",
            "tablet",
            "software",
            "platform",
            "bank",
            "banking",
            "budgeting",
            "finance",
            "insurance",
            "streaming",
            "dashboard",
            "subscription",
            "saas",
            "service",
            "course",
            "game",
            "website",
        ),
    ),
    ("dropper", ("serum", "oil", "tincture", "dropper", "essence", "ampoule")),
    (
        "jar",
        ("cream", "balm", "moisturiser", "moisturizer", "jar", "candle", "honey", "mask", "butter", "jam"),
    ),
    ("can", ("can", "energy drink", "seltzer", "sparkling", "soda")),
    (
        "cup",
        (
            "coffee",
            "cold brew",
            "espresso",
            "latte",
            "tea",
            "matcha",
            "mug",
            "cup",
            "cafe",
            "café",
            "bakery",
            "croissant",
        ),
    ),
    (
        "bottle",
        (
            "bottle",
            "perfume",
            "fragrance",
            "cologne",
            "wine",
            "beer",
            "water",
            "juice",
            "kombucha",
            "gin",
            "vodka",
            "spirits",
            "whisky",
            "whiskey",
            "shampoo",
            "conditioner",
            "lotion",
            "cleanser",
            "toner",
            "sauce",
            "drink",
            "sunscreen",
            "spray",
            "smoothie",
        ),
    ),
)
ASPECT = {
    "bottle": 0.36,
    "dropper": 0.42,
    "jar": 1.25,
    "can": 0.52,
    "cup": 0.64,
    "device": 0.5,
    "watch": 0.56,
    "box": 0.82,
    "sneaker": 2.1,
    "earbuds": 1.3,
}
CYLINDRICAL = {"bottle", "dropper", "jar", "can", "cup", "watch"}


def shape_for(product: str) -> str:
    text = product.lower()
    for shape, words in SHAPE_WORDS:
        if any(re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", text) for w in words):
            return shape
    return "box"


class _Mask:
    """A local canvas to draw one part into; coordinates are fractions of the sprite box."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.m: np.ndarray = np.zeros((h, w), np.uint8)

    def _p(self, x: float, y: float) -> tuple[int, int]:
        return round(x * (self.w - 1)), round(y * (self.h - 1))

    def rect(self, x0: float, y0: float, x1: float, y1: float, r: float = 0.0) -> "_Mask":
        """Rounded rectangle; r as a fraction of the box width."""
        (a, b), (c, d) = self._p(x0, y0), self._p(x1, y1)
        rad = min(round(r * self.w), (c - a) // 2, (d - b) // 2)
        if rad <= 0:
            cv2.rectangle(self.m, (a, b), (c, d), 255, -1, cv2.LINE_AA)
            return self
        cv2.rectangle(self.m, (a + rad, b), (c - rad, d), 255, -1, cv2.LINE_AA)
        cv2.rectangle(self.m, (a, b + rad), (c, d - rad), 255, -1, cv2.LINE_AA)
        for cx, cy in ((a + rad, b + rad), (c - rad, b + rad), (a + rad, d - rad), (c - rad, d - rad)):
            cv2.circle(self.m, (cx, cy), rad, 255, -1, cv2.LINE_AA)
        return self

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, angle: float = 0.0) -> "_Mask":
        centre = self._p(cx, cy)
        axes = (max(1, round(rx * self.w)), max(1, round(ry * self.h)))
        cv2.ellipse(self.m, centre, axes, angle, 0, 360, 255, -1, cv2.LINE_AA)
        return self

    def poly(self, points: list[tuple[float, float]]) -> "_Mask":
        pts = np.array([self._p(x, y) for x, y in points], np.int32)
        cv2.fillPoly(self.m, [pts], 255, cv2.LINE_AA)
        return self

    def cut(self, other: "_Mask") -> "_Mask":
        self.m = cv2.subtract(self.m, other.m)
        return self

    def limit(self, other: "_Mask") -> "_Mask":
        self.m = cv2.min(self.m, other.m)
        return self

    @property
    def alpha(self) -> np.ndarray:
        return self.m.astype(np.float32) / 255.0


def _cylinder_shade(w: int, h: int, light_x: float, cylindrical: bool) -> tuple[np.ndarray, np.ndarray]:
    """Diffuse and specular terms for a body lit from light_x ∈ [-1, 1] (left … right) and the front."""
    u = np.linspace(-1, 1, w, dtype=np.float32)
    v = np.linspace(0, 1, h, dtype=np.float32)
    diffuse: np.ndarray
    spec: np.ndarray
    if cylindrical:
        nz = np.sqrt(np.clip(1 - u**2, 0, 1))
        lx, lz = light_x * 0.75, 0.66
        diffuse = np.clip(u * lx + nz * lz, 0, 1) / math.hypot(lx, lz)
        spec = (
            np.exp(-(((u - light_x * 0.42) / 0.07) ** 2)) * 0.75
            + np.exp(-(((np.abs(u) - 0.93) / 0.05) ** 2)) * 0.2
        )
    else:
        diffuse = 0.82 + 0.18 * (u * light_x)
        spec = np.exp(-(((u - light_x * 0.6) / 0.25) ** 2)) * 0.12
    d = (0.3 + 0.7 * diffuse)[None, :] * (1.0 - 0.18 * v)[:, None]
    s = np.broadcast_to(spec[None, :], (h, w)) * (1.0 - 0.5 * v)[:, None]
    return d.astype(np.float32), s.astype(np.float32)


def _parts(shape: str, w: int, h: int) -> list[tuple[str, _Mask]]:
    m = lambda: _Mask(w, h)  # noqa: E731 - tiny local factory keeps the geometry below readable
    if shape == "bottle":
        body = m().rect(0.0, 0.32, 1.0, 1.0, 0.16).ellipse(0.5, 0.34, 0.5, 0.09).rect(0.33, 0.12, 0.67, 0.36)
        return [
            ("body", body),
            ("cap", m().rect(0.28, 0.0, 0.72, 0.16, 0.06)),
            ("label", m().rect(0.0, 0.52, 1.0, 0.82).limit(body)),
            ("stripe", m().rect(0.0, 0.55, 1.0, 0.57)),
        ]
    if shape == "dropper":
        body = m().rect(0.0, 0.4, 1.0, 1.0, 0.2)
        return [
            ("body", body),
            ("cap", m().rect(0.2, 0.26, 0.8, 0.43, 0.05)),
            ("bulb", m().rect(0.33, 0.0, 0.67, 0.3, 0.17)),
            ("label", m().rect(0.0, 0.6, 1.0, 0.86).limit(body)),
            ("stripe", m().rect(0.0, 0.64, 1.0, 0.66)),
        ]
    if shape == "jar":
        body = m().rect(0.03, 0.3, 0.97, 1.0, 0.1)
        return [
            ("body", body),
            ("cap", m().rect(0.0, 0.0, 1.0, 0.33, 0.06)),
            ("label", m().rect(0.03, 0.5, 0.97, 0.84).limit(body)),
            ("stripe", m().rect(0.0, 0.29, 1.0, 0.33)),
        ]
    if shape == "can":
        body = m().rect(0.0, 0.06, 1.0, 0.95, 0.08)
        return [
            ("body", body),
            ("cap", m().ellipse(0.5, 0.06, 0.46, 0.05)),
            ("cap", m().rect(0.03, 0.9, 0.97, 1.0, 0.1)),
            ("label", m().rect(0.0, 0.32, 1.0, 0.7).limit(body)),
            ("stripe", m().rect(0.0, 0.36, 1.0, 0.38)),
        ]
    if shape == "cup":
        body = m().poly([(0.04, 0.2), (0.96, 0.2), (0.84, 1.0), (0.16, 1.0)])
        return [
            ("body", body),
            ("cap", m().rect(0.0, 0.1, 1.0, 0.22, 0.04).ellipse(0.5, 0.11, 0.42, 0.07)),
            ("label", m().poly([(0.0, 0.45), (1.0, 0.45), (1.0, 0.72), (0.0, 0.72)]).limit(body)),
        ]
    if shape == "device":
        screen = m().rect(0.06, 0.04, 0.94, 0.96, 0.1)
        return [
            ("cap", m().rect(0.0, 0.0, 1.0, 1.0, 0.16)),
            ("screen", screen),
            (
                "ui",
                m()
                .rect(0.14, 0.46, 0.86, 0.62, 0.06)
                .rect(0.14, 0.66, 0.5, 0.8, 0.06)
                .rect(0.54, 0.66, 0.86, 0.8, 0.06)
                .rect(0.14, 0.84, 0.86, 0.88, 0.02),
            ),
            ("bulb", m().rect(0.38, 0.055, 0.62, 0.08, 0.1)),
        ]
    if shape == "watch":
        return [
            ("cap", m().rect(0.28, 0.0, 0.72, 1.0, 0.08)),
            ("body", m().ellipse(0.5, 0.5, 0.47, 0.26)),
            ("screen", m().ellipse(0.5, 0.5, 0.38, 0.21)),
            (
                "hands",
                m()
                .rect(0.485, 0.34, 0.515, 0.5)
                .poly([(0.5, 0.49), (0.52, 0.51), (0.74, 0.58), (0.72, 0.6)]),
            ),
        ]
    if shape == "sneaker":
        upper = m().poly(
            [
                (0.02, 0.8),
                (0.03, 0.46),
                (0.1, 0.3),
                (0.2, 0.22),
                (0.3, 0.27),
                (0.38, 0.33),
                (0.43, 0.14),
                (0.51, 0.1),
                (0.56, 0.28),
                (0.7, 0.4),
                (0.85, 0.48),
                (0.95, 0.57),
                (0.99, 0.7),
                (0.98, 0.8),
            ]
        )
        swoosh = m().poly([(0.12, 0.62), (0.45, 0.5), (0.78, 0.44), (0.5, 0.58), (0.2, 0.7)])
        return [
            ("body", upper),
            ("label", swoosh.limit(upper)),
            ("cap", m().rect(0.0, 0.76, 1.0, 0.95, 0.05)),
            ("stripe", m().rect(0.0, 0.76, 1.0, 0.8)),
        ]
    if shape == "earbuds":
        return [
            ("body", m().rect(0.0, 0.0, 1.0, 1.0, 0.3)),
            ("stripe", m().rect(0.0, 0.34, 1.0, 0.36)),
            ("hands", m().ellipse(0.5, 0.62, 0.025, 0.03)),
        ]
    body = m().rect(0.0, 0.22, 0.86, 1.0, 0.02)
    return [
        ("body", body),
        ("top", m().poly([(0.0, 0.22), (0.14, 0.0), (1.0, 0.0), (0.86, 0.22)])),
        ("side", m().poly([(0.86, 0.22), (1.0, 0.0), (1.0, 0.8), (0.86, 1.0)])),
        ("label", m().rect(0.38, 0.22, 0.48, 1.0)),
        ("stripe", m().poly([(0.38, 0.22), (0.52, 0.0), (0.62, 0.0), (0.48, 0.22)])),
    ]


def product_sprite(shape: str, height: int, palette: Palette, light_x: float, metallic_cap: bool) -> Sprite:
    """The product at `height` pixels, lit from light_x; its colours come from the palette's roles."""
    h = max(8, height)
    w = max(6, round(h * ASPECT[shape]))
    diffuse, spec = _cylinder_shade(w, h, light_x, shape in CYLINDRICAL)
    flat_d, flat_s = _cylinder_shade(w, h, light_x, False)
    cap = mix(palette.light, palette.accent, 0.25) if metallic_cap else darken(palette.shadow, 0.1)
    label = mix(palette.light, palette.backdrop, 0.15)
    colours: dict[str, tuple[Colour, bool, float]] = {
        "body": (palette.accent, True, 1.0),
        "cap": (cap, True, 1.2 if metallic_cap else 0.6),
        "bulb": (darken(palette.shadow, 0.2), True, 0.5),
        "label": (label, True, 0.5),
        "stripe": (palette.accent if shape != "box" else palette.light, True, 0.6),
        "screen": (palette.extras[0], False, 0.3),
        "ui": (lighten(palette.extras[0], 0.55), False, 0.0),
        "hands": (palette.light, False, 0.0),
        "top": (lighten(palette.accent, 0.25), False, 0.2),
        "side": (darken(palette.accent, 0.35), False, 0.1),
    }
    rgb = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    for name, mask in _parts(shape, w, h):
        x, y, bw, bh = cv2.boundingRect(mask.m)
        if bw == 0 or bh == 0:
            continue
        box = (slice(y, y + bh), slice(x, x + bw))  # shade only where the part is: large sprites stay cheap
        colour, lit, shine = colours[name]
        d, sp = (diffuse[box], spec[box]) if lit and shape in CYLINDRICAL else (flat_d[box], flat_s[box])
        if name == "screen":
            t = np.linspace(y / h, (y + bh) / h, bh, dtype=np.float32)[:, None, None]
            layer = colour * (1 - t) + mix(palette.accent, palette.shadow, 0.4) * t
            layer = layer * (0.85 + 0.15 * d[..., None])
        else:
            layer = colour * d[..., None]
        layer += (sp * shine)[..., None] * palette.light
        a = mask.m[box].astype(np.float32)[..., None] / 255.0
        rgb[box] = rgb[box] * (1 - a) + layer * a
        alpha[box] = np.maximum(alpha[box], a[..., 0])
    np.clip(rgb, 0, 1, out=rgb)
    return Sprite(rgb, alpha)


def _bust(w: int, h: int, slump: float) -> _Mask:
    return (
        _Mask(w, h)
        .ellipse(0.5 + slump * 0.04, 0.27 + slump * 0.05, 0.19, 0.235, slump * 14)
        .rect(0.42, 0.44, 0.58, 0.62, 0.04)
        .ellipse(0.5, 1.0, 0.5, 0.42)
        .poly([(0.08, 0.86), (0.3, 0.6), (0.7, 0.6), (0.92, 0.86)])
    )


def _full_body(w: int, h: int, slump: float) -> _Mask:
    """Standing figure, mid-stride: head, torso, arms, legs."""
    return (
        _Mask(w, h)
        .ellipse(0.5 + slump * 0.05, 0.075, 0.17, 0.075, slump * 14)
        .rect(0.3, 0.16, 0.7, 0.55, 0.14)
        .poly([(0.3, 0.19), (0.22, 0.2), (0.08, 0.46), (0.18, 0.48), (0.3, 0.3)])
        .poly([(0.7, 0.19), (0.78, 0.2), (0.94, 0.44), (0.84, 0.47), (0.7, 0.3)])
        .poly([(0.32, 0.52), (0.5, 0.52), (0.36, 0.99), (0.2, 0.99)])
        .poly([(0.5, 0.52), (0.68, 0.52), (0.8, 0.99), (0.64, 0.99)])
    )


def figure_sprite(
    height: int, colour: Colour, rim: Colour, light_x: float, slump: float = 0.0, full: bool = False
) -> Sprite:
    """A person as a modelled silhouette with a rim light (bust, or full body for wide shots): people read
    at a glance without pretending to draw a face."""
    h = max(12, height)
    w = max(10, round(h * (0.36 if full else 0.92)))
    alpha = (_full_body(w, h, slump) if full else _bust(w, h, slump)).alpha
    shift = max(1, round(w * 0.025))
    offset = np.roll(alpha, -shift if light_x > 0 else shift, axis=1)
    edge = np.clip(alpha - offset, 0, 1)
    edge = cv2.GaussianBlur(edge, (0, 0), max(0.6, shift * 0.6))
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    u = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * light_x
    shade = (1.0 + 0.22 * u) * (1.08 - 0.3 * t)  # modelled: lit side and head brighter than the shoulders
    rgb = colour * shade[..., None]
    rgb = rgb * (1 - edge[..., None]) + rim * edge[..., None]
    return Sprite(np.clip(rgb, 0, 1).astype(np.float32), alpha)


def star_sprite(size: int, colour: Colour) -> Sprite:
    s = max(6, size)
    pts = []
    for k in range(10):
        r = 0.5 if k % 2 == 0 else 0.21
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((0.5 + r * math.cos(a), 0.53 + r * math.sin(a)))
    alpha = _Mask(s, s).poly(pts).alpha
    return Sprite(np.broadcast_to(colour, (s, s, 3)).astype(np.float32).copy(), alpha)


def prop_sprite(kind: str, size: int, colour: Colour, light: Colour, rng: np.random.Generator) -> Sprite:
    """Secondary objects that dress a set: spheres, discs, leaves, cards, pebbles."""
    s = max(6, size)
    if kind == "sphere":
        mask = _Mask(s, s).ellipse(0.5, 0.5, 0.48, 0.48)
        d = np.hypot(*np.meshgrid(np.linspace(-1, 1, s), np.linspace(-1, 1, s)))
        hx, hy = np.meshgrid(np.linspace(-1, 1, s) + 0.35, np.linspace(-1, 1, s) + 0.35)
        shade = (
            np.clip(1.05 - 0.55 * d, 0.3, 1)[..., None] * colour
            + np.exp(-(hx**2 + hy**2) * 9)[..., None] * light * 0.6
        )
        return Sprite(np.clip(shade, 0, 1).astype(np.float32), mask.alpha)
    if kind == "disc":
        outer = _Mask(s, s).ellipse(0.5, 0.5, 0.48, 0.48)
        inner = _Mask(s, s).ellipse(0.5, 0.5, 0.34, 0.34)
        rgb: np.ndarray = np.broadcast_to(colour, (s, s, 3)).astype(np.float32).copy()
        rgb = rgb * (1 - inner.alpha[..., None] * 0.12)
        return Sprite(rgb, outer.alpha)
    if kind == "leaf":
        angle = float(rng.uniform(0, 180))
        mask = _Mask(s, s).ellipse(0.5, 0.5, 0.46, 0.17, angle)
        vein = _Mask(s, s).ellipse(0.5, 0.5, 0.44, 0.012, angle)
        leaf = np.broadcast_to(colour, (s, s, 3)).astype(np.float32) * (1 - vein.alpha[..., None] * 0.35)
        return Sprite(leaf.astype(np.float32), mask.alpha)
    if kind == "card":
        w, h = s, round(s * 0.64)
        mask = _Mask(w, h).rect(0, 0, 1, 1, 0.05)
        rgb = np.broadcast_to(colour, (h, w, 3)).astype(np.float32).copy()
        return Sprite(rgb, mask.alpha)
    mask = _Mask(s, round(s * 0.7)).ellipse(0.5, 0.5, 0.47, 0.45, float(rng.uniform(-20, 20)))
    rgb = np.broadcast_to(colour, (round(s * 0.7), s, 3)).astype(np.float32).copy()
    return Sprite(rgb, mask.alpha)
