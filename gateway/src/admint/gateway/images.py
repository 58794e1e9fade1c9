"""Product image intake: trust the bytes, not the name. Decode, bound, re-encode to PNG, make a thumbnail.

Only the JPEG, PNG and WebP decoders are ever tried (less attack surface); re-encoding drops metadata (EXIF
location, ICC quirks, trailing payloads) and whatever else was smuggled along with the pixels.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


class ImageRejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class NormalizedImage:
    png: bytes
    thumbnail: bytes
    format: str
    width: int
    height: int


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def normalize_image(data: bytes, *, max_side: int = 8192, max_pixels: int = 40_000_000,
                    thumbnail_side: int = 256) -> NormalizedImage:
    """Decode `data` as JPEG/PNG/WebP; ImageRejected(415) when it is none of them, (422) when unusable.

    Sides and pixel count are checked from the header, before a single pixel is decoded: a few kilobytes of
    compressed PNG can claim 8192×8192 (268 MB as RGBA) — a decompression bomb. Animated PNG/WebP give their first
    frame only; re-encoding keeps the pixels and nothing else (a polyglot's appended archive or script is gone).
    """
    if not data:
        raise ImageRejected(422, "the uploaded file is empty")
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as opened:
            fmt = str(opened.format)
            width, height = opened.size
            if max(width, height) > max_side:
                raise ImageRejected(422, f"image is {width}×{height}; the longest side may be at most {max_side}")
            if min(width, height) < 16:
                raise ImageRejected(422, f"image is {width}×{height}; both sides must be at least 16 pixels")
            if width * height > max_pixels:
                raise ImageRejected(422, f"image is {width}×{height} = {width * height} pixels; at most "
                                         f"{max_pixels} are accepted")
            opened.load()
            img = ImageOps.exif_transpose(opened)
            has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
            img = img.convert("RGBA" if has_alpha else "RGB")
    except UnidentifiedImageError as exc:
        raise ImageRejected(415, "the file is not a JPEG, PNG or WebP image (checked by content)") from exc
    except Image.DecompressionBombError as exc:
        raise ImageRejected(422, f"image is too large to decode safely: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(422, f"the image could not be decoded (damaged or truncated): {exc}") from exc
    thumb = img.copy()
    thumb.thumbnail((thumbnail_side, thumbnail_side), Image.Resampling.LANCZOS)
    return NormalizedImage(_png(img), _png(thumb), fmt.lower(), img.width, img.height)
