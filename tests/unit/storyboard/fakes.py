"""Fakes of the storyboard's own ports (image model, frame codec): no rendering, no decoding, no OpenCV.

"Images" here are bytes starting with IMG; the fake codec refuses anything else, as the real one refuses what
OpenCV cannot decode. The real codec is tested in test_encoder.py, the offline model in test_offline_image.py.
"""

from admint.contracts.common import FrameSize
from admint.providers.ports import ImageRequest, ImageResult
from admint.storyboard.ports import NotAnImage

IMAGE = b"IMG"


class FakeImageModel:
    """Answers every request with a small fake image naming the beat; remembers the requests."""

    def __init__(self, price: float = 0.0, name: str = "offline-image", png: bytes | None = None) -> None:
        self.name = name
        self.price = price
        self.png = png
        self.requests: list[ImageRequest] = []

    async def render(self, request: ImageRequest) -> ImageResult:
        self.requests.append(request)
        png = self.png if self.png is not None else IMAGE + b" beat %d" % request.beat.index
        return ImageResult(model=self.name, cost_usd=self.price, png=png)


def conformed(data: bytes, size: FrameSize) -> bytes:
    """What FakeFrameCodec.conform makes of `data`."""
    return b"PNG %dx%d|" % (size.width, size.height) + data


class FakeFrameCodec:
    def __init__(self) -> None:
        self.conformed: list[tuple[bytes, FrameSize]] = []
        self.checked: list[bytes] = []

    async def conform(self, data: bytes, size: FrameSize) -> bytes:
        self.conformed.append((data, size))
        if not data.startswith(IMAGE):
            raise NotAnImage(f"rendered frame is not a decodable image ({len(data)} bytes)")
        return conformed(data, size)

    async def check(self, data: bytes) -> None:
        self.checked.append(data)
        if not data.startswith(IMAGE):
            raise NotAnImage(f"the product image is not a decodable image ({len(data)} bytes)")
