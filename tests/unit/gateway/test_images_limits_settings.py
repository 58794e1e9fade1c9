"""Image intake, the sliding-window rate limiter and the settings' refusal of development secrets."""

import io

import pytest
from PIL import Image

from admint.gateway.config import GatewaySettings
from admint.gateway.images import ImageRejected, normalize_image
from admint.gateway.limits import retry_after_s, sliding_count

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


def test_sliding_count_weighs_the_previous_window_by_its_remaining_overlap() -> None:
    assert sliding_count(previous=60, current=10, elapsed_s=0, window_s=60) == 70
    assert sliding_count(previous=60, current=10, elapsed_s=45, window_s=60) == 25
    assert sliding_count(previous=0, current=3, elapsed_s=59, window_s=60) == 3


def test_retry_after_is_when_one_more_request_fits() -> None:
    # 3 of 3 used in this window, 10 s before it ends: next window, once this one's weight is 2 → 10 + 20 s
    assert retry_after_s(previous=0, current=3, elapsed_s=50, window_s=60, limit=3) == 30
    # 1 used now, previous window full (4 of 4): wait until 4 * (1 - t/60) + 1 <= 3 → t = 30, 10 s from now
    assert retry_after_s(previous=4, current=1, elapsed_s=20, window_s=60, limit=4) == 10
    # and the answer is right: at that moment the sliding count leaves room for exactly one more
    assert sliding_count(4, 1, 30, 60) + 1 <= 4 < sliding_count(4, 1, 29, 60) + 1
    assert retry_after_s(previous=100, current=0, elapsed_s=59.9, window_s=60, limit=1) >= 1


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValueError, match="ADMINT_ADMIN_TOKEN"):
        GatewaySettings(_env_file=None, environment="production", s3_secret_key="real")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="ADMINT_DEV_API_KEY"):
        GatewaySettings(_env_file=None, environment="production", s3_secret_key="real",  # type: ignore[call-arg]
                        admin_token="real-token", dev_api_key="admk_x")
    ok = GatewaySettings(_env_file=None, environment="production", s3_secret_key="real",  # type: ignore[call-arg]
                         admin_token="real-token")
    assert ok.gateway_port == 8000 and ok.max_active_generations == 2
