"""The real frame codec (OpenCV through admint.media.frames): pass-through, cover-crop, refusal. No ffmpeg."""

import cv2
import numpy as np
import pytest

from admint.contracts.common import FrameSize
from admint.storyboard.encoder import OpenCVFrameCodec, png_size
from admint.storyboard.ports import NotAnImage

pytestmark = pytest.mark.unit
SIZE = FrameSize(width=180, height=320)


def encoded(ext: str, height: int, width: int, value: int = 128) -> bytes:
    return bytes(cv2.imencode(ext, np.full((height, width, 3), value, np.uint8))[1].tobytes())


async def test_an_exact_png_passes_through_untouched() -> None:
    png = encoded(".png", 320, 180, 0)
    assert await OpenCVFrameCodec().conform(png, SIZE) is png


async def test_a_frame_of_another_size_or_format_is_cover_cropped_to_a_png_of_the_size() -> None:
    codec = OpenCVFrameCodec()
    for data in (encoded(".jpg", 512, 512), encoded(".png", 640, 360), encoded(".png", 100, 300)):
        out = await codec.conform(data, SIZE)
        assert png_size(out) == (180, 320)
        pixels = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_COLOR)
        assert pixels is not None and pixels.shape == (320, 180, 3) and abs(float(pixels.mean()) - 128) < 3


async def test_garbage_is_not_an_image() -> None:
    codec = OpenCVFrameCodec()
    with pytest.raises(NotAnImage, match="rendered frame is not a decodable image"):
        await codec.conform(b"<html>error</html>", SIZE)
    with pytest.raises(NotAnImage, match="product image is not a decodable image"):
        await codec.check(b"not an image")
    await codec.check(encoded(".jpg", 40, 30))


def test_png_size_reads_the_header_only() -> None:
    assert png_size(encoded(".png", 7, 5)) == (5, 7)
    assert png_size(b"GIF89a") is None and png_size(encoded(".jpg", 7, 5)) is None
