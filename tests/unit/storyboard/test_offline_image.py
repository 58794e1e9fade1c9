"""The offline image model: exact sizes, determinism per (seed, beat), palette, composition, photos."""

import cv2
import numpy as np
import pytest

from admint.contracts.common import FrameSize
from admint.contracts.plan import Beat, Style
from admint.core.cpu_pool import CpuPool
from admint.media.captions import safe_zone
from admint.providers.ports import ImageRequest
from admint.storyboard.offline_image import OfflineImageModel, render_png
from admint.storyboard.offline_image.cutout import load_cutout
from admint.storyboard.offline_image.shapes import shape_for

pytestmark = pytest.mark.unit
SHOTS = ["extreme_close_up", "close_up", "medium", "wide", "detail", "overhead", "product_hero"]
DARK = Style(palette=["#0e0d12", "#c9a45c", "#f3ead8", "#3a2f2a"], mood="luxury")
LIGHT = Style(palette=["#eef4f1", "#1e7a6d", "#fffdf8", "#8cc5b8"], mood="calm")
VIVID = Style(palette=["#ff5f2e", "#1b1b2f", "#ffc93c", "#f9f4ef", "#e23e57"], mood="energetic")


def beat(
    shot: str = "product_hero", index: int = 0, beat_id: str = "hero_reveal", role: str = "desire"
) -> Beat:
    return Beat(
        index=index,
        beat_id=beat_id,
        role=role,
        start_s=0,
        duration_s=5,
        shot_type=shot,
        camera_movement="static",
        action="a shot",
        prompt="a serum bottle",
        caption="Never in the frame",
    )


def request(
    shot: str = "product_hero",
    size: tuple[int, int] = (180, 320),
    style: Style = DARK,
    seed: int = 1,
    index: int = 0,
    product_image: bytes | None = None,
    **kw: str,
) -> ImageRequest:
    return ImageRequest(
        beat=beat(shot, index, **kw),
        style=style,
        size=FrameSize(width=size[0], height=size[1]),
        seed=seed,
        product="Aurora serum",
        product_image=product_image,
    )


def decode(png: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def product_photo(colour: tuple[int, int, int] = (255, 0, 255), alpha: bool = False) -> bytes:
    """A 'photo' of a saturated object on a white seamless (or on transparency)."""
    img = np.full((400, 300, 4 if alpha else 3), 250, np.uint8)
    if alpha:
        img[..., 3] = 0
    cv2.rectangle(img, (90, 60), (210, 360), (*colour, 255) if alpha else colour, -1)
    cv2.circle(img, (150, 60), 40, (*colour, 255) if alpha else colour, -1)
    return cv2.imencode(".png", img)[1].tobytes()


@pytest.mark.parametrize("size", [(180, 320), (240, 240), (320, 180), (96, 160)])
@pytest.mark.parametrize("shot", SHOTS)
def test_every_shot_renders_at_exactly_the_requested_size(shot: str, size: tuple[int, int]) -> None:
    img = decode(render_png(request(shot, size)))
    assert img.shape == (size[1], size[0], 3)
    assert img.std() > 4  # not a flat fill


def test_frames_are_deterministic_per_seed_and_beat() -> None:
    assert render_png(request("close_up", seed=5, index=2)) == render_png(
        request("close_up", seed=5, index=2)
    )
    assert render_png(request("close_up", seed=5, index=2)) != render_png(
        request("close_up", seed=6, index=2)
    )
    assert render_png(request("close_up", seed=5, index=2)) != render_png(
        request("close_up", seed=5, index=3)
    )


def test_the_palette_sets_the_look() -> None:
    dark = decode(render_png(request("medium", style=DARK))).mean()
    light = decode(render_png(request("medium", style=LIGHT))).mean()
    assert dark < 90 < 150 < light


def test_problem_beats_are_desaturated() -> None:
    def saturation(png: bytes) -> float:
        return float(cv2.cvtColor(decode(png), cv2.COLOR_BGR2HSV)[..., 1].mean())

    vivid = render_png(request("medium", style=VIVID, beat_id="in_use_medium", role="desire"))
    gloomy = render_png(request("medium", style=VIVID, beat_id="problem_moment", role="problem"))
    assert saturation(gloomy) < 0.6 * saturation(vivid)


@pytest.mark.parametrize("shot", ["close_up", "medium", "wide", "product_hero"])
def test_a_product_photo_is_composited_inside_the_safe_area_above_the_caption_band(shot: str) -> None:
    w, h = 180, 320
    img = decode(render_png(request(shot, (w, h), style=LIGHT, product_image=product_photo())))
    b, g, r = (img[..., i].astype(int) for i in range(3))
    magenta = (r > 170) & (b > 170) & (g < 90)
    assert magenta.sum() > 80, "the product photo is in the frame"
    ys, xs = np.nonzero(magenta)
    x0, y0, x1, y1 = safe_zone(w, h).box(w, h)
    assert y0 <= ys.mean() <= y1 - 0.15 * (y1 - y0)
    assert x0 <= xs.mean() <= x1
    plain = decode(render_png(request(shot, (w, h), style=LIGHT)))
    pb, pg, pr = (plain[..., i].astype(int) for i in range(3))
    assert ((pr > 170) & (pb > 170) & (pg < 90)).sum() < magenta.sum() / 10


def test_a_transparent_product_png_keeps_its_shape() -> None:
    cut = load_cutout(product_photo(alpha=True))
    h, w = cut.sprite.alpha.shape
    assert (w, h) == (121, 341)  # cropped to the opaque object
    assert cut.sprite.alpha[h // 2, w // 2] > 0.99 and cut.edges.sum() > 0


def test_the_canny_edge_map_separates_a_product_from_a_plain_background() -> None:
    cut = load_cutout(product_photo())
    alpha = cut.sprite.alpha
    assert alpha.shape[0] > alpha.shape[1]  # tall object, not the whole 300×400 photo
    assert alpha.mean() > 0.6 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] > 0.99
    fx, fy = cut.detail_centre()
    assert 0 <= fx <= 1 and 0 <= fy <= 1


def test_a_photo_that_is_not_an_image_is_refused() -> None:
    with pytest.raises(ValueError, match="not a decodable image"):
        load_cutout(b"definitely not a png")


def test_product_words_pick_a_silhouette() -> None:
    assert shape_for("Aurora Glow serum") == "dropper"
    assert shape_for("cold brew coffee") == "cup"
    assert shape_for("Pulse X1 wireless earbuds") == "earbuds"
    assert shape_for("budgeting app Penny") == "device"
    assert shape_for("Trailblazer sneakers") == "sneaker"
    assert shape_for("gift") == "box"


async def test_the_model_reports_its_name_and_registry_price() -> None:
    result = await OfflineImageModel().render(request("overhead", product_image=product_photo()))
    assert result.model == "offline-image" and result.cost_usd == 0.0
    assert result.notes == {"conditioning": "canny"}
    assert decode(result.png).shape == (320, 180, 3)


async def test_a_render_process_paints_the_very_frame_a_thread_does() -> None:
    """The storyboard renders in its render processes: same request, same PNG bytes as in a thread."""
    pool = CpuPool(1)
    try:
        wanted = request("product_hero", product_image=product_photo())
        pooled = await OfflineImageModel(pool=pool).render(wanted)
        threaded = await OfflineImageModel().render(wanted)
        assert pooled.png == threaded.png and pooled.notes == threaded.notes
        assert pool.pids()  # it did run there
    finally:
        pool.close()
