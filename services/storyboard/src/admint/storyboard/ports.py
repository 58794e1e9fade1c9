"""What the storyboard handlers need from outside, as ports: storage, the image model, and the frame codec.

The codec is a port so the handlers never decode or encode pixels themselves (no OpenCV, no admint.media): the
adapter is `encoder.OpenCVFrameCodec`; the handlers' unit tests use a fake.
"""

from dataclasses import dataclass
from typing import Protocol

from admint.contracts.common import FrameSize
from admint.core.stores import GenerationStore, ObjectStore
from admint.providers.ports import ImageModel


class NotAnImage(ValueError):
    """The bytes are not a decodable image (a provider's error page, a corrupt upload)."""


class FrameCodec(Protocol):
    """Image bytes in, storyboard-ready bytes out."""

    async def conform(self, data: bytes, size: FrameSize) -> bytes:
        """`data` as a PNG of exactly `size` (cover-cropped when it is another size or format); NotAnImage."""
        ...

    async def check(self, data: bytes) -> None:
        """NotAnImage when `data` (an uploaded product image) cannot be decoded."""
        ...


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    image: ImageModel
    codec: FrameCodec
    deadline_s: float = 7 * 24 * 3600
    """Approval deadline announced with a checkpoint (ADMINT_APPROVAL_DEADLINE_S)."""
