"""Frame helpers: image decode/encode, cover-fitting, the raw frame pipe, frame-exact extraction."""

from pathlib import Path

import numpy as np
import pytest

from admint.media.ffmpeg import MediaToolError
from admint.media.frames import (
    RawVideoWriter,
    decode_image,
    encode_png,
    extract_frame,
    extract_last_frame,
    fit_cover,
    read_frames,
)
from tests.support.framecode import HEIGHT, WIDTH, decode, frame

pytestmark = pytest.mark.unit


def test_png_round_trip_is_lossless() -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    assert np.array_equal(decode_image(encode_png(pixels)), pixels)
    with pytest.raises(MediaToolError):
        decode_image(b"not an image", "the init frame")


def test_fit_cover_crops_to_the_target_aspect() -> None:
    wide = np.zeros((100, 200, 3), np.uint8)
    wide[:, 90:110] = 255  # a bright centre stripe survives the centre crop
    out = fit_cover(wide, 50, 100)
    assert out.shape == (100, 50, 3)
    assert out[:, 20:30].mean() > 200 and out[:, :5].mean() == 0
    assert fit_cover(wide, 200, 100) is wide


def test_writer_rejects_wrong_frames(tmp_path: Path) -> None:
    with RawVideoWriter(tmp_path / "x.mkv", 32, 32, 30) as writer:
        writer.write(np.zeros((32, 32, 3), np.uint8))
        with pytest.raises(ValueError):
            writer.write(np.zeros((16, 32, 3), np.uint8))
        assert writer.frames == 1


async def test_frames_survive_the_lossless_intermediate_and_extract_exactly(tmp_path: Path) -> None:
    path = tmp_path / "coded.mkv"
    with RawVideoWriter(path, WIDTH, HEIGHT, 30) as writer:
        for i in range(12):
            writer.write(frame(2, i))
    frames = await read_frames(path, WIDTH, HEIGHT)
    assert len(frames) == 12 and np.array_equal(frames[5], frame(2, 5))  # lossless
    assert decode(decode_image((await extract_frame(path, 7, tmp_path / "7.png")).read_bytes())) == (2, 7)
    assert decode(decode_image((await extract_last_frame(path, tmp_path / "l.png")).read_bytes())) == (2, 11)
    with pytest.raises(MediaToolError):
        await extract_frame(path, 40, tmp_path / "none.png")
