"""Storyboard frames from Replicate FLUX models: text-to-image, or Canny-conditioned given a product image.

FLUX generates at a handful of aspect ratios near one megapixel, never at our exact frame size, so we ask for
the closest ratio and then scale-to-cover and centre-crop to exactly `ImageRequest.size` (PNG out). With a
product image we compute the Canny edge map ourselves (OpenCV) at the frame's aspect, product framed by shot
type, and send that as the control image, so the product's outline is where the composition wants it.
"""

import asyncio
import math

import cv2
import numpy as np

from admint.contracts.common import FrameSize
from admint.core.errors import PermanentProviderError
from admint.providers.ports import ImageRequest, ImageResult
from admint.providers.registry import ModelInfo, ModelRegistry, load_registry
from admint.providers.replicate import ReplicateClient

FLUX_ASPECTS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
CONTROL_LONG_SIDE = 1024
"""Control images are sent at about one megapixel; FLUX Canny generates at the control image's size."""

SHOT_WORDS = {
    "extreme_close_up": "extreme close-up shot",
    "close_up": "close-up shot",
    "medium": "medium shot",
    "wide": "wide establishing shot",
    "detail": "macro detail shot",
    "overhead": "overhead top-down shot",
    "product_hero": "hero product shot, centred",
}
PRODUCT_FILL = {
    "extreme_close_up": 0.95, "close_up": 0.85, "detail": 0.9, "product_hero": 0.7,
    "medium": 0.6, "overhead": 0.6, "wide": 0.4,
}
"""Share of the frame's smaller side the product occupies in the control image, by shot type."""


def image_prompt(request: ImageRequest) -> str:
    """The beat's prompt plus framing, style and palette; no text in the image (captions come later)."""
    beat, style = request.beat, request.style
    parts = [beat.prompt.rstrip(". "), SHOT_WORDS.get(beat.shot_type, beat.shot_type.replace("_", " "))]
    if request.product:
        parts.append(f"featuring {request.product}")
    looks = [*style.keywords, f"{style.mood} mood"]
    parts.append("style: " + ", ".join(looks))
    parts.append("colour palette " + " ".join(style.palette))
    parts.append("professional advertising photography, sharp focus, no text, no letters, no watermark")
    return ". ".join(parts)


def closest_aspect(size: FrameSize, choices: tuple[str, ...] = FLUX_ASPECTS) -> str:
    """The supported aspect ratio nearest the frame's, compared in log space (2:1 and 1:2 are symmetric)."""
    target = math.log(size.width / size.height)

    def distance(choice: str) -> float:
        w, h = (int(x) for x in choice.split(":"))
        return abs(math.log(w / h) - target)

    return min(choices, key=distance)


def decode_image(data: bytes, what: str) -> np.ndarray:
    """BGR pixels of PNG/JPEG/WebP bytes (alpha over white); PermanentProviderError if unreadable."""
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if pixels is None:
        raise PermanentProviderError(f"{what} is not a readable image ({len(data)} bytes)")
    if pixels.ndim == 2:
        return cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    if pixels.dtype != np.uint8:
        pixels = cv2.convertScaleAbs(pixels, alpha=255.0 / 65535.0)
    if pixels.shape[2] == 4:
        alpha = pixels[:, :, 3:4].astype(np.float32) / 255.0
        white = np.full_like(pixels[:, :, :3], 255, dtype=np.float32)
        return (pixels[:, :, :3] * alpha + white * (1 - alpha)).astype(np.uint8)
    return pixels


def cover_crop(pixels: np.ndarray, size: FrameSize) -> np.ndarray:
    """Scale so the image covers `size`, then centre-crop to exactly it (no distortion, no borders)."""
    h, w = pixels.shape[:2]
    scale = max(size.width / w, size.height / h)
    new_w, new_h = max(size.width, round(w * scale)), max(size.height, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(pixels, (new_w, new_h), interpolation=interpolation)
    x, y = (new_w - size.width) // 2, (new_h - size.height) // 2
    return resized[y : y + size.height, x : x + size.width]


def encode_png(pixels: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", pixels)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise PermanentProviderError("could not encode PNG")
    return buf.tobytes()


def control_size(size: FrameSize, long_side: int = CONTROL_LONG_SIDE) -> tuple[int, int]:
    """(width, height) with the frame's aspect, long side `long_side`, both multiples of 32 (FLUX latents)."""
    ratio = size.width / size.height
    w, h = (long_side, long_side / ratio) if ratio >= 1 else (long_side * ratio, long_side)
    return max(32, round(w / 32) * 32), max(32, round(h / 32) * 32)


def _trim_to_subject(pixels: np.ndarray) -> np.ndarray:
    """Crop away a plain border (near-white or the corner colour) so the product itself is framed."""
    corner = pixels[0, 0].astype(np.int16)
    diff = np.abs(pixels.astype(np.int16) - corner).max(axis=2)
    ys, xs = np.nonzero(diff > 12)
    if len(xs) == 0:
        return pixels
    return pixels[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def canny_control(product_image: bytes, size: FrameSize, shot_type: str) -> np.ndarray:
    """A white-on-black Canny edge map of the product, framed for the shot, at the frame's aspect."""
    product = _trim_to_subject(decode_image(product_image, "the product image"))
    canvas_w, canvas_h = control_size(size)
    fill = PRODUCT_FILL.get(shot_type, 0.6)
    ph, pw = product.shape[:2]
    scale = min(canvas_w * fill / pw, canvas_h * fill / ph)
    pw2, ph2 = max(1, round(pw * scale)), max(1, round(ph * scale))
    resized = cv2.resize(product, (pw2, ph2), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    canvas = np.full((canvas_h, canvas_w, 3), 255, np.uint8)
    x, y = (canvas_w - pw2) // 2, (canvas_h - ph2) // 2
    canvas[y : y + ph2, x : x + pw2] = resized
    gray = cv2.GaussianBlur(cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = otsu if otsu >= 20 else 150.0  # Otsu follows the product's contrast; flat images get a fixed pair
    return cv2.Canny(gray, 0.5 * high, high)


class ReplicateImageModel:
    """ImageModel port on Replicate: `text_model` without a product image, `canny_model` with one."""

    def __init__(
        self,
        client: ReplicateClient,
        *,
        text_model: str = "flux-schnell",
        canny_model: str | None = None,
        registry: ModelRegistry | None = None,
    ) -> None:
        registry = registry or load_registry()
        self.client = client
        self.text_model = _replicate_model(registry, text_model, "image")
        self.canny_model = _replicate_model(registry, canny_model or _canny_default(registry), "image")
        self.name = self.text_model.name

    async def render(self, request: ImageRequest) -> ImageResult:
        if request.product_image:
            edges = await asyncio.to_thread(
                canny_control, request.product_image, request.size, request.beat.shot_type
            )
            if cv2.countNonZero(edges):
                return await self._render_canny(request, edges)
            result = await self._render_text(request)  # a flat image gives no outline to follow
            return _with_notes(result, conditioning="none: the product image has no edges")
        return await self._render_text(request)

    async def _render_text(self, request: ImageRequest) -> ImageResult:
        inputs = {
            "prompt": image_prompt(request),
            "aspect_ratio": closest_aspect(request.size),
            "num_outputs": 1,
            "output_format": "png",
            "megapixels": "1",
            "seed": request.seed % 2**31,
        }
        return await self._generate(self.text_model, inputs, request)

    async def _render_canny(self, request: ImageRequest, edges: np.ndarray) -> ImageResult:
        inputs = {
            "prompt": image_prompt(request),
            "control_image": await self.client.file_input(encode_png(edges), "image/png", "control.png"),
            "output_format": "png",
            "safety_tolerance": 2,
            "prompt_upsampling": False,
            "seed": request.seed % 2**31,
        }
        return _with_notes(await self._generate(self.canny_model, inputs, request), conditioning="canny")

    async def _generate(
        self, model: ModelInfo, inputs: dict[str, object], request: ImageRequest
    ) -> ImageResult:
        prediction = await self.client.run(model, inputs)
        first = (await self.client.download(prediction.output))[0]
        png = await asyncio.to_thread(_fit_png, first, request.size, f"{model.name} output")
        return ImageResult(model=model.name, cost_usd=model.price(), png=png, notes=prediction.notes())


def _fit_png(data: bytes, size: FrameSize, what: str) -> bytes:
    return encode_png(cover_crop(decode_image(data, what), size))


def _with_notes(result: ImageResult, **notes: str) -> ImageResult:
    return ImageResult(model=result.model, cost_usd=result.cost_usd, png=result.png,
                       notes={**result.notes, **notes})


def _replicate_model(registry: ModelRegistry, name: str, kind: str) -> ModelInfo:
    info = registry.get(name)
    if info.kind != kind or info.provider != "replicate" or not info.ref:
        raise ValueError(f"model {name!r} is not a Replicate {kind} model in the registry")
    return info


def _canny_default(registry: ModelRegistry) -> str:
    for info in registry.models.values():
        if info.kind == "image" and info.provider == "replicate" and info.conditioning == "canny":
            return info.name
    raise ValueError("the model registry has no Replicate image model with canny conditioning")
