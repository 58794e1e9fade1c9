"""What the storyboard handlers need from outside, as ports: storage, the image model, and the frame codec.

The codec is a port so the handlers never decode or encode pixels themselves (no OpenCV, no admint.media): the
adapter is `encoder.OpenCVFrameCodec`; the handlers' unit tests use a fake.
"""

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
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


FrameLock = Callable[[str], AbstractAsyncContextManager[None]]
"""Exclusive, cluster-wide hold of a name (a lease: a crashed holder lets go after a while)."""


def no_lock(name: str) -> AbstractAsyncContextManager[None]:
    """No other member to wait for (a process without shared leases: the unit tests)."""
    return contextlib.nullcontext()


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    image: ImageModel
    codec: FrameCodec
    frame_lock: FrameLock = field(default=no_lock)
    """Members of a group that need the same frame take turns: the first renders it, the others copy it."""
