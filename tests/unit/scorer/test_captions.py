"""Caption legibility on synthetic frames with a caption laid out exactly as the chunker lays it out."""

import cv2
import numpy as np
import pytest

from admint.media.captions import PlacedImage, render_caption, safe_zone
from admint.scorer.captions import CaptionMask, caption_band, caption_legibility, contrast_ratio
from tests.support.degrade import burn
from tests.unit.scorer.synthetic import scene

pytestmark = pytest.mark.unit
W, H = 360, 640


def crops(frames: np.ndarray, mask: CaptionMask) -> np.ndarray:
    return frames[:, mask.box.y0:mask.box.y1, mask.box.x0:mask.box.x1]


def backdrop(colour: tuple[int, int, int]) -> np.ndarray:
    return np.full((4, H, W, 3), colour, np.uint8)


def test_mask_separates_letters_from_their_surroundings() -> None:
    caption = render_caption("Fresh taste, every single day", W, H)
    mask = CaptionMask.of(caption, W, H)
    assert mask.text.any() and mask.surround.any() and not (mask.text & mask.surround).any()
    assert mask.inside_safe == 1.0  # render_caption keeps to the safe zone
    band = caption_band(W, H)
    assert band.y0 <= caption.y and caption.y + caption.height <= band.y1 + 0.03 * H


def test_white_letters_read_on_dark_and_vanish_on_white() -> None:
    caption = render_caption("Fresh taste, every single day", W, H)
    mask = CaptionMask.of(caption, W, H)
    dark = caption_legibility(crops(burn(backdrop((30, 30, 30)), caption), mask), mask)
    textured = caption_legibility(crops(burn(np.stack([scene(W, H)] * 4), caption), mask), mask)
    white = caption_legibility(crops(burn(backdrop((255, 255, 255)), caption), mask), mask)
    missing = caption_legibility(crops(np.stack([scene(W, H)] * 4), mask), mask)  # caption never burnt in
    assert dark == 100.0
    assert white < 10 and missing < 20
    assert white < textured < dark


def test_letters_outside_the_safe_zone_count_as_unreadable() -> None:
    caption = render_caption("Fresh taste", W, H)
    x1 = safe_zone(W, H).box(W, H)[2]
    shoved = PlacedImage(caption.png, x1 - caption.width // 2, caption.y, caption.width, caption.height)
    mask = CaptionMask.of(shoved, W, H)
    assert 0.3 < mask.inside_safe < 0.7
    frames = burn(backdrop((30, 30, 30)), shoved)
    assert caption_legibility(crops(frames, mask), mask) == pytest.approx(100 * mask.inside_safe)


def test_contrast_ratio_is_wcag() -> None:
    assert contrast_ratio(1.0, 0.0) == pytest.approx(21.0)
    assert contrast_ratio(0.2, 0.2) == 1.0


def test_crops_must_match_the_mask() -> None:
    caption = render_caption("Hi", W, H)
    mask = CaptionMask.of(caption, W, H)
    with pytest.raises(ValueError, match="do not match"):
        caption_legibility(np.zeros((1, 5, 5, 3), np.uint8), mask)
    with pytest.raises(ValueError, match="RGBA"):
        _, grey_png = cv2.imencode(".png", np.zeros((4, 4), np.uint8))
        CaptionMask.of(PlacedImage(grey_png.tobytes(), 0, 0, 4, 4), W, H)
