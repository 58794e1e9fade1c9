"""Caption and call-to-action overlays: text rendered to transparent PNGs placed inside platform safe zones.

Rendering with Pillow's bundled font needs no system fonts; ffmpeg's overlay filter then burns the PNGs in
during the chunk's one encode. Sizes are relative to the frame, so 180×320 test frames and 1080×1920 masters
get the same layout.
"""

import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FALLBACK_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
"""Used only when a caption has characters the bundled font lacks (it covers ASCII only)."""
CAPTION_FILL = (255, 255, 255, 255)
CAPTION_STROKE = (0, 0, 0, 255)
CTA_FILL = (255, 255, 255, 238)
CTA_TEXT = (17, 17, 17, 255)


@dataclass(frozen=True)
class SafeZone:
    """Fractions of the frame kept clear of platform UI (status bar, captions bar, buttons)."""

    top: float
    bottom: float
    left: float
    right: float

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle (x0, y0, x1, y1) in pixels."""
        return (round(width * self.left), round(height * self.top),
                round(width * (1 - self.right)), round(height * (1 - self.bottom)))


def safe_zone(width: int, height: int) -> SafeZone:
    """Vertical video (Reels, TikTok, Shorts) hides ~12% at the top, ~20% at the bottom and a right-hand
    button rail; square and landscape feeds only need a margin."""
    ratio = width / height
    if ratio < 0.8:
        return SafeZone(top=0.12, bottom=0.20, left=0.06, right=0.15)
    if ratio < 1.2:
        return SafeZone(top=0.08, bottom=0.12, left=0.07, right=0.07)
    return SafeZone(top=0.08, bottom=0.10, left=0.08, right=0.08)


@dataclass(frozen=True)
class PlacedImage:
    """An RGBA PNG and where its top-left corner goes on the frame."""

    png: bytes
    x: int
    y: int
    width: int
    height: int


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _bundled_font(size: int) -> Font:
    return ImageFont.load_default(size=max(8, size))


@cache
def _fallback_font(size: int) -> Font | None:
    return ImageFont.truetype(str(FALLBACK_FONT), max(8, size)) if FALLBACK_FONT.exists() else None


@cache
def _bundled_has(char: str) -> bool:
    """Whether the bundled font draws this character (rather than its empty-box 'notdef' glyph)."""
    if char.isspace():
        return True
    font = _bundled_font(32)
    return bytes(font.getmask(char)) != bytes(font.getmask("\U0010fffd"))


def prepare_text(text: str) -> tuple[str, bool]:
    """The text to draw and whether it needs the fallback font.

    Without the fallback font installed, accents are stripped (café → cafe) and undrawable symbols dropped,
    which beats empty boxes on a finished ad.
    """
    text = " ".join(text.split())
    if all(_bundled_has(c) for c in text):
        return text, False
    if FALLBACK_FONT.exists():
        return text, True
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.split()), False


def _font(size: int, fallback: bool = False) -> Font:
    return (_fallback_font(size) if fallback else None) or _bundled_font(size)


def wrap_text(text: str, font: Font, max_width: float) -> list[str]:
    """Greedy word wrap by rendered width; a word longer than a line stays on its own line."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def balanced_wrap(text: str, font: Font, max_width: float) -> list[str]:
    """Wrap into as few lines as greedy wrapping needs, but with lines of similar width (no orphan word)."""
    lines = wrap_text(text, font, max_width)
    if len(lines) < 2:
        return lines
    lo, hi = max(font.getlength(word) for word in text.split()), max_width
    while hi - lo > 1:
        mid = (lo + hi) / 2
        if len(wrap_text(text, font, mid)) <= len(lines):
            hi = mid
        else:
            lo = mid
    return wrap_text(text, font, hi)


@dataclass(frozen=True)
class TextLayout:
    """How a text sets in its box at one frame size: the font size, the wrapped lines, and whether it fits.

    Rendering and validation (a plan edit's caption must fit before anything is rendered) share this, so a
    caption accepted by the planner is exactly one that renders inside the safe zone.
    """

    text: str
    fallback: bool
    size: int
    lines: tuple[str, ...]
    max_width: float
    max_lines: int
    widest: float

    @property
    def fits(self) -> bool:
        """Whether it sets within max_lines lines no wider than the box (at the smallest size if need be)."""
        return len(self.lines) <= self.max_lines and self.widest <= self.max_width


def _fit(text: str, size: int, min_size: int, max_width: float, max_lines: int, fallback: bool) -> TextLayout:
    """The largest font size (down to min_size) at which the text wraps into max_lines lines of max_width."""
    while True:
        font = _font(size, fallback)
        lines = balanced_wrap(text, font, max_width)
        widest = max((font.getlength(line) for line in lines), default=0)
        if (len(lines) <= max_lines and widest <= max_width) or size <= min_size:
            return TextLayout(text, fallback, size, tuple(lines), max_width, max_lines, widest)
        size = max(min_size, int(size * 0.9))


def caption_layout(text: str, width: int, height: int) -> TextLayout:
    """A beat caption's layout: up to 3 lines, centred on the frame, clear of both side margins."""
    text, fallback = prepare_text(text)
    x0, _, x1, _ = safe_zone(width, height).box(width, height)
    half = min(width / 2 - x0, x1 - width / 2)
    short = min(width, height)
    return _fit(text, round(short * 0.062), round(short * 0.04), 2 * half, 3, fallback)


def cta_layout(text: str, width: int, height: int) -> TextLayout:
    """The call-to-action card's text layout: up to 2 lines within 78% of the safe width."""
    text, fallback = prepare_text(text)
    x0, _, x1, _ = safe_zone(width, height).box(width, height)
    short = min(width, height)
    return _fit(text, round(short * 0.066), round(short * 0.04), 0.78 * (x1 - x0), 2, fallback)


def caption_fits(text: str, width: int, height: int) -> bool:
    """Whether a caption sets inside the safe zone at this frame size (at worst at the smallest font)."""
    return caption_layout(text, width, height).fits


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def _text_block(lines: list[str], size: int, fill: tuple[int, ...], stroke: int,
                stroke_fill: tuple[int, ...] | None, fallback: bool) -> tuple[Image.Image, int]:
    """Centred lines on a transparent canvas (with room for the stroke); returns it and the line height."""
    font = _font(size, fallback)
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (size, size // 4)
    line_h = int((ascent + descent) * 1.08)
    width = int(max(font.getlength(line) for line in lines)) + 2 * stroke + 2
    height = line_h * len(lines) + 2 * stroke
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        x = (width - font.getlength(line)) / 2
        draw.text((x, stroke + i * line_h), line, font=font, fill=fill, stroke_width=stroke,
                  stroke_fill=stroke_fill)
    return canvas, line_h


def render_caption(text: str, width: int, height: int) -> PlacedImage:
    """White outlined caption with a soft shadow, wrapped and centred, bottom-aligned to the lower safe edge.

    Centred on the frame (not on the safe box) but never wider than twice the narrower side margin allows,
    so it stays clear of the right-hand button rail on vertical video.
    """
    layout = caption_layout(text, width, height)
    size, lines, fallback = layout.size, list(layout.lines), layout.fallback
    y1 = safe_zone(width, height).box(width, height)[3]
    stroke = max(1, round(size / 14))
    block, _ = _text_block(lines, size, CAPTION_FILL, stroke, CAPTION_STROKE, fallback)
    pad = max(2, size // 3)
    shadow_offset = max(1, size // 18)
    canvas = Image.new("RGBA", (block.width + 2 * pad, block.height + 2 * pad), (0, 0, 0, 0))
    shadow = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    alpha = block.getchannel("A").point(lambda a: a * 150 // 255)
    shadow.paste((0, 0, 0, 255), (pad + shadow_offset, pad + shadow_offset), alpha)
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(1, size / 10)))
    canvas = Image.alpha_composite(canvas, shadow)
    canvas.alpha_composite(block, (pad, pad))
    x = round((width - canvas.width) / 2)
    y = round(y1 - canvas.height + pad)
    return PlacedImage(_png(canvas), max(0, x), max(0, y), canvas.width, canvas.height)


def render_cta(text: str, width: int, height: int) -> PlacedImage:
    """A white rounded card with dark text and a drop shadow, low in the safe area (the closing button)."""
    layout = cta_layout(text, width, height)
    size, lines, fallback = layout.size, list(layout.lines), layout.fallback
    _, y0, _, y1 = safe_zone(width, height).box(width, height)
    block, _ = _text_block(lines, size, CTA_TEXT, max(1, size // 28), CTA_TEXT, fallback)
    pad_x, pad_y = round(size * 0.9), round(size * 0.5)
    card_w, card_h = block.width + 2 * pad_x, block.height + 2 * pad_y
    shadow_offset = max(2, size // 10)
    margin = max(4, size // 3)
    canvas = Image.new("RGBA", (card_w + 2 * margin, card_h + 2 * margin), (0, 0, 0, 0))
    radius = min(card_h // 2, round(size * 0.8))
    shadow = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).rounded_rectangle(
        (margin, margin + shadow_offset, margin + card_w, margin + card_h + shadow_offset),
        radius=radius, fill=(0, 0, 0, 120),
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(1, size / 6)))
    canvas = Image.alpha_composite(canvas, shadow)
    ImageDraw.Draw(canvas).rounded_rectangle(
        (margin, margin, margin + card_w, margin + card_h), radius=radius, fill=CTA_FILL
    )
    canvas.alpha_composite(block, (margin + pad_x, margin + pad_y))
    centre_y = y0 + 0.85 * (y1 - y0)
    x = round((width - canvas.width) / 2)
    y = round(min(centre_y - canvas.height / 2, y1 - canvas.height + margin))
    return PlacedImage(_png(canvas), max(0, x), max(0, y), canvas.width, canvas.height)
