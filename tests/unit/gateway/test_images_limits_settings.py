"""Image intake, the GCRA rate limiter and the settings' refusal of development secrets."""

import io

import pytest
from PIL import Image

from admint.gateway.config import GatewaySettings
from admint.gateway.images import ImageRejected, normalize_image
from admint.gateway.limits import gcra

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


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding() -> None:
    bomb = encoded("PNG", (7000, 7000), "L")  # all-black: a few kB on the wire, 49 MP once decoded
    assert len(bomb) < 200_000
    with pytest.raises(ImageRejected) as caught:
        normalize_image(bomb, max_pixels=40_000_000)
    assert caught.value.status == 422 and "49000000 pixels" in caught.value.detail


def test_a_polyglot_keeps_only_its_pixels() -> None:
    png = encoded("PNG", (64, 48))
    polyglot = png + b"PK\x03\x04 a zip archive" + b"<script>alert(1)</script>"
    stored = normalize_image(polyglot).png
    assert b"PK\x03\x04" not in stored and b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.size == (64, 48) and img.format == "PNG"


def test_an_animated_image_gives_its_first_frame_only() -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:])
    stored = normalize_image(out.getvalue()).png
    with Image.open(io.BytesIO(stored)) as img:
        assert getattr(img, "n_frames", 1) == 1 and img.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


S = 1_000_000_000  # the limiter counts integer nanoseconds
MINUTE = 60 * S


def test_gcra_allows_a_burst_of_the_limit_then_one_request_per_interval() -> None:
    tat, now, answers = 0, 1000 * S, []
    for _ in range(4):  # limit 3 per minute: a burst of 3, the 4th waits for the next 20 s slot
        tat, retry = gcra(tat, now, MINUTE, 3)
        answers.append(retry)
    assert answers == [None, None, None, 20]
    assert gcra(tat, now + 19 * S + S // 2, MINUTE, 3)[1] == 1  # half a second early: wait 1 s (rounded up)
    tat, retry = gcra(tat, now + 20 * S, MINUTE, 3)
    assert retry is None and gcra(tat, now + 20 * S, MINUTE, 3)[1] == 20
    assert gcra(tat, now + 500 * S, MINUTE, 3) == (now + 520 * S, None)  # idle long enough: as fresh as new


def test_retry_after_never_exceeds_the_window() -> None:
    for limit in (1, 2, 7, 120):
        tat = 0
        for _ in range(limit):
            tat, retry = gcra(tat, 5000 * S, MINUTE, limit)
            assert retry is None
        refused = gcra(tat, 5000 * S, MINUTE, limit)
        assert refused[0] == tat and refused[1] is not None and 1 <= refused[1] <= 60
    assert gcra(10_000 * S, 5000 * S, MINUTE, 1)[1] == 60  # a replica whose clock runs ahead: still a minute


@pytest.mark.parametrize("limit", [*range(1, 3001, 7), 9, 50, 4999, 65_537, 99_991, 100_000])
def test_a_burst_at_a_real_timestamp_gets_exactly_the_limit(limit: int) -> None:
    """No rounding at epoch-sized timestamps: float seconds gave a key limited to 9 a minute a burst of 8."""
    tat, now, allowed = 0, 1_754_000_000_123_456_789, 0
    while (step := gcra(tat, now, MINUTE, limit))[1] is None:
        tat, allowed = step[0], allowed + 1
    assert allowed == limit
    assert step[1] == -(-60 // limit)  # the next slot is one interval away, in whole seconds rounded up


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValueError, match="ADMINT_ADMIN_TOKEN"):
        GatewaySettings(_env_file=None, environment="production", s3_secret_key="real")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="ADMINT_DEV_API_KEY"):
        GatewaySettings(_env_file=None, environment="production", s3_secret_key="real",  # type: ignore[call-arg]
                        admin_token="real-token", dev_api_key="admk_x")
    ok = GatewaySettings(_env_file=None, environment="production", s3_secret_key="real",  # type: ignore[call-arg]
                         admin_token="real-token")
    assert ok.gateway_port == 8000 and ok.max_active_generations == 2
