"""Caption and CTA overlays: inside the platform safe zones, wrapped, legible, any script."""

import io

import numpy as np
import pytest
from PIL import Image

from admint.media.captions import (
    FALLBACK_FONT,
    balanced_wrap,
    caption_fits,
    caption_layout,
    cta_layout,
    prepare_text,
    render_caption,
    render_cta,
    safe_zone,
)

pytestmark = pytest.mark.unit

SIZES = [(1080, 1920), (180, 320), (1080, 1080), (1920, 1080)]


def _alpha(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGBA"
    return np.asarray(image.getchannel("A"))


def _ink_box(placed) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """Frame coordinates of the visibly drawn pixels (alpha > 128)."""
    ys, xs = np.nonzero(_alpha(placed.png) > 128)
    return placed.x + xs.min(), placed.y + ys.min(), placed.x + xs.max(), placed.y + ys.max()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_caption_is_inside_the_safe_zone_and_centred(width: int, height: int) -> None:
    placed = render_caption("Cold for 24 hours, hot for 12 — every single day", width, height)
    x0, y0, x1, y1 = safe_zone(width, height).box(width, height)
    left, top, right, bottom = _ink_box(placed)
    assert x0 <= left and right <= x1 and y0 <= top and bottom <= y1
    assert abs((left + right) / 2 - width / 2) <= max(2, width * 0.02)
    assert bottom > y0 + 0.6 * (y1 - y0)  # in the lower part of the safe area
    assert placed.x + placed.width <= width and placed.y + placed.height <= height


def test_vertical_video_keeps_clear_of_the_platform_ui() -> None:
    zone = safe_zone(1080, 1920)
    assert zone.top >= 0.12 and zone.bottom >= 0.20 and zone.right > zone.left  # the right-hand button rail
    placed = render_caption("A caption long enough to need wrapping onto a second line for sure", 1080, 1920)
    _, _, right, bottom = _ink_box(placed)
    assert bottom <= 1920 * 0.80
    assert right <= 1080 * (1 - zone.right)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_cta_card_is_opaque_and_inside_the_safe_zone(width: int, height: int) -> None:
    placed = render_cta("Shop now at brew.co", width, height)
    x0, y0, x1, y1 = safe_zone(width, height).box(width, height)
    left, top, right, bottom = _ink_box(placed)
    assert x0 <= left and right <= x1 and y0 <= top and bottom <= y1
    alpha = _alpha(placed.png)
    assert alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] > 200  # a solid card, not floating text


def test_text_size_follows_the_frame() -> None:
    small = render_caption("Same words", 180, 320)
    large = render_caption("Same words", 1080, 1920)
    assert 4 < large.height / small.height < 8


def test_wrap_is_balanced_and_limited_to_three_lines() -> None:
    from admint.media.captions import _font

    font = _font(40)
    lines = balanced_wrap("Brew cafe quality coffee at home in under two minutes", font, 600)
    widths = [font.getlength(line) for line in lines]
    assert len(lines) == 2 and max(widths) - min(widths) < 0.35 * max(widths)  # no orphan word
    long = render_caption(" ".join(["word"] * 40), 1080, 1920)  # shrinks to fit instead of growing tall
    assert long.height < 1920 * 0.3


def test_non_ascii_text_is_drawn_not_boxed() -> None:
    """The bundled font covers ASCII only: accents use the fallback font, or lose their accent without it."""
    text, fallback = prepare_text("Café  crème")
    if FALLBACK_FONT.exists():
        assert (text, fallback) == ("Café crème", True)
    else:
        assert (text, fallback) == ("Cafe creme", False)
    assert prepare_text("Plain ASCII, 100% (really)!") == ("Plain ASCII, 100% (really)!", False)
    assert render_caption("Café crème", 1080, 1920).width > 0


def test_rendering_is_deterministic() -> None:
    assert render_caption("Same", 360, 640).png == render_caption("Same", 360, 640).png


def test_caption_fit_is_measured_at_the_frame_size_with_the_render_layout() -> None:
    """caption_fits answers what render_caption would do: a word too wide for the 9:16 safe zone (between
    the left margin and the button rail) still fits a 16:9 frame, and a long caption needs more than 3 lines."""
    assert caption_fits("Cold for 24 hours, hot for 12 — every single day", 1080, 1920)
    assert caption_fits("", 1080, 1920)
    wide_word = "x" * 40
    assert not caption_fits(wide_word, 1080, 1920) and caption_fits(wide_word, 1920, 1080)
    layout = caption_layout(" ".join(["word"] * 30), 1080, 1920)
    assert not layout.fits and len(layout.lines) > layout.max_lines == 3
    assert layout.size == round(1080 * 0.04)  # it shrank to the smallest size before giving up


def test_cta_layout_allows_two_lines_on_the_card() -> None:
    assert cta_layout("Order now at brewly.com", 1080, 1920).fits
    two = cta_layout("Cold for 24 hours, hot for 12 — every single day", 1080, 1920)
    assert two.fits and len(two.lines) == 2
    assert not cta_layout("Cold for 24 hours, hot for 12 — every single day, all year round", 180, 320).fits
