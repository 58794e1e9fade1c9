"""Image intake, the sliding-window rate limiter and the settings' refusal of development secrets."""

import io

import pytest
from PIL import Image

from admint.gateway.config import GatewaySettings
from admint.gateway.images import ImageRejected, normalize_image
from admint.gateway.limits import RateLimiter

pytestmark = pytest.mark.unit


def encoded(fmt: str, size: tuple[int, int], mode: str = "RGB", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "#c83232" if mode != "L" else 128).save(out, format=fmt, **save)
    return out.getvalue()


def test_jpeg_is_reencoded_to_png_without_metadata_and_rotated_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise when shown
    exif[0x010F] = "SecretCam"
    data = encoded("JPEG", (300, 100), exif=exif.tobytes())
    result = normalize_image(data, thumbnail_side=64)
    assert (result.format, result.width, result.height) == ("jpeg", 100, 300)
    stored = Image.open(io.BytesIO(result.png))
    assert stored.format == "PNG" and not stored.getexif() and b"SecretCam" not in result.png
    assert Image.open(io.BytesIO(result.thumbnail)).size == (21, 64)


def test_transparency_is_kept() -> None:
    result = normalize_image(encoded("PNG", (32, 32), "RGBA"))
    assert Image.open(io.BytesIO(result.png)).mode == "RGBA"


@pytest.mark.parametrize(("data", "status"), [
    (b"GIF89a" + b"\x00" * 100, 415),
    (b"%PDF-1.7 not an image", 415),
    (b"", 422),
    (encoded("PNG", (64, 64))[:120], 422),
    (encoded("PNG", (8, 8)), 422),
    (encoded("BMP", (64, 64)), 415),
])
def test_refusals(data: bytes, status: int) -> None:
    with pytest.raises(ImageRejected) as caught:
        normalize_image(data)
    assert caught.value.status == status


def test_oversized_dimensions_are_refused_before_decoding() -> None:
    with pytest.raises(ImageRejected) as caught:
        normalize_image(encoded("PNG", (3000, 20), "L"), max_side=2048)
    assert caught.value.status == 422 and "3000" in caught.value.detail


def test_rate_limiter_sliding_window_and_retry_after() -> None:
    now = [1000.0]
    limiter = RateLimiter(window_s=60, clock=lambda: now[0])
    assert [limiter.hit("k", 3) for _ in range(3)] == [None, None, None]
    now[0] += 10
    assert limiter.hit("k", 3) == 50
    assert limiter.hit("other", 3) is None
    now[0] += 50.5
    assert limiter.hit("k", 3) is None
    now[0] += 500
    limiter.hit("fresh", 3)
    assert "k" not in limiter.hits and "other" not in limiter.hits


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValueError, match="ADMINT_ADMIN_TOKEN"):
        GatewaySettings(_env_file=None, environment="production", s3_secret_key="real")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="ADMINT_DEV_API_KEY"):
        GatewaySettings(_env_file=None, environment="production", s3_secret_key="real",  # type: ignore[call-arg]
                        admin_token="real-token", dev_api_key="admk_x")
    ok = GatewaySettings(_env_file=None, environment="production", s3_secret_key="real",  # type: ignore[call-arg]
                         admin_token="real-token")
    assert ok.gateway_port == 8000 and ok.max_active_generations == 2
