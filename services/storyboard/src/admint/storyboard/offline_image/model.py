"""OfflineImageModel: the ImageModel port rendered with numpy/OpenCV, deterministic per (seed, beat)."""

import hashlib

import cv2
import numpy as np

from admint.core.cpu_pool import CpuPool, off_the_loop
from admint.providers.ports import ImageRequest, ImageResult
from admint.providers.registry import ModelRegistry, load_registry
from admint.storyboard.offline_image.canvas import (
    Palette,
    bloom,
    grade,
    grain,
    to_uint8,
    vignette,
)
from admint.storyboard.offline_image.cutout import Cutout, load_cutout
from admint.storyboard.offline_image.grading import prompt_grade
from admint.storyboard.offline_image.scenes import Scene, compose
from admint.storyboard.offline_image.shapes import shape_for

NAME = "offline-image"
COOL = np.array([1.0, 0.82, 0.7], np.float32)  # BGR: a blue cast for problem beats


def beat_rng(seed: int, beat_index: int) -> np.random.Generator:
    digest = hashlib.sha256(f"offline-image:{seed}:{beat_index}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def render_frame(request: ImageRequest, cutout: Cutout | None = None) -> np.ndarray:
    """The frame as a BGR uint8 array of exactly request.size."""
    rng = beat_rng(request.seed, request.beat.index)
    palette = Palette.from_hex(list(request.style.palette))
    side = rng.choice([-1.0, 1.0]) * rng.uniform(0.45, 0.85)
    scene = Scene(
        w=request.size.width,
        h=request.size.height,
        beat=request.beat,
        palette=palette,
        rng=rng,
        shape=shape_for(request.product or request.beat.prompt),
        cutout=cutout,
        light_x=float(side),
        metallic=bool(rng.random() < 0.5),
    )
    img = compose(scene)
    energy = request.beat.energy
    if scene.troubled:
        grade(img, saturation=0.35, contrast=1.05, tint=COOL, tint_amount=0.12)
        vignette(img, 0.6)
    else:
        grade(img, saturation=0.95 + 0.25 * energy, contrast=1.0 + 0.12 * energy)
        vignette(img, 0.35)
        if palette.dark_backdrop:
            bloom(img, strength=0.25 + 0.2 * energy)
    prompt_grade(img, request.beat.prompt)  # "warm colour grade" and the like, as a cloud model reads them
    grain(img, rng, 0.004)  # dithers gradients (no banding) yet keeps the PNG compressible
    out = to_uint8(img)
    assert out.shape == (request.size.height, request.size.width, 3)
    return out


def render_png(request: ImageRequest) -> bytes:
    # detail shots zoom ~3× into the product: keep about twice the frame's long side of photo resolution
    longest = max(request.size.width, request.size.height)
    cutout = load_cutout(request.product_image, max(256, 2 * longest)) if request.product_image else None
    ok, buf = cv2.imencode(".png", render_frame(request, cutout), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - only on a broken OpenCV build
        raise RuntimeError("could not encode PNG")
    return buf.tobytes()


class OfflineImageModel:
    """ImageModel that needs no network: palette, composition by shot type, product silhouette or photo."""

    name = NAME

    def __init__(self, registry: ModelRegistry | None = None, *, pool: CpuPool | None = None) -> None:
        self.price_usd = (registry or load_registry()).get(NAME).price()
        self.pool = pool
        """Render in its processes (the service's event loop keeps its GIL), else in a thread."""

    async def render(self, request: ImageRequest) -> ImageResult:
        png = await off_the_loop(self.pool, render_png, request)
        notes = {"conditioning": "canny"} if request.product_image else {}
        return ImageResult(model=self.name, cost_usd=self.price_usd, png=png, notes=notes)
