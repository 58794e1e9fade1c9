"""The FrameCodec port done with admint.media (OpenCV): the only storyboard module that touches pixels.

Decoding and resizing a full-size frame takes tens of milliseconds, so it runs in a thread, off the event loop
that also keeps the message leases alive.
"""

import asyncio
import struct

from admint.contracts.common import FrameSize
from admint.media.ffmpeg import MediaToolError
from admint.media.frames import decode_image, encode_png, fit_cover
from admint.storyboard.ports import NotAnImage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG header (None when the bytes are not a PNG)."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE):
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def conform_png(data: bytes, size: FrameSize) -> bytes:
    """The frame as a PNG of exactly `size`: an exact PNG passes untouched, anything else is cover-cropped."""
    if png_size(data) == (size.width, size.height):
        return data
    try:
        pixels = decode_image(data, "rendered frame")
    except MediaToolError as exc:
        raise NotAnImage(str(exc)) from exc
    return encode_png(fit_cover(pixels, size.width, size.height))


def check_image(data: bytes) -> None:
    try:
        decode_image(data, "the product image")
    except MediaToolError as exc:
        raise NotAnImage(str(exc)) from exc


class OpenCVFrameCodec:
    """FrameCodec with OpenCV through admint.media.frames."""

    async def conform(self, data: bytes, size: FrameSize) -> bytes:
        if png_size(data) == (size.width, size.height):
            return data  # the common case (the offline model renders exact PNGs): no thread hop
        return await asyncio.to_thread(conform_png, data, size)

    async def check(self, data: bytes) -> None:
        await asyncio.to_thread(check_image, data)
