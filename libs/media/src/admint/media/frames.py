"""Single frames and raw frame streams: PNG decode/encode, fitting to a size, piping frames into ffmpeg,
and frame-exact extraction from a video.

Frames are numpy arrays in OpenCV's BGR order (uint8, H×W×3), and ffmpeg is told `bgr24`, so no channel
shuffling happens on the hot path; a writer may instead take the house format's own I420 planes (yuv420p).
"""

import asyncio
import tempfile
from pathlib import Path

import cv2
import numpy as np

from admint.media.ffmpeg import MediaToolError, ffmpeg
from admint.media.pipe import FramePipe
from admint.media.probe import probe

INTERMEDIATE_ARGS = ("-c:v", "libx264rgb", "-preset", "ultrafast", "-qp", "0")
"""Lossless, fast RGB intermediate: the chunker's normalise pass is the only real (lossy) encode."""
YUV_INTERMEDIATE_ARGS = ("-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
                         "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                         "-color_range", "tv")
"""The same for frames already in the house pixel format (yuv420p BT.709 limited): lossless, tagged, so the
normalise pass takes them as they are."""


def decode_image(data: bytes, what: str = "image") -> np.ndarray:
    """PNG/JPEG bytes → BGR uint8 array; MediaToolError when the bytes are not an image."""
    pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise MediaToolError(f"{what} is not a decodable image ({len(data)} bytes)")
    return pixels


def encode_png(pixels: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:  # pragma: no cover - only on a broken OpenCV build
        raise MediaToolError("could not encode PNG")
    return buf.tobytes()


def fit_cover(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to cover width×height and centre-crop (aspect kept); unchanged when already that size."""
    h, w = pixels.shape[:2]
    if (w, h) == (width, height):
        return pixels
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(pixels, (new_w, new_h), interpolation=interpolation)
    x, y = (new_w - width) // 2, (new_h - height) // 2
    return np.ascontiguousarray(resized[y:y + height, x:x + width])


class RawVideoWriter(FramePipe):
    """Pipe frames (NumPy arrays: BGR H×W×3, or with pix_fmt yuv420p I420 planes as one (H×3/2)×W array) into
    ffmpeg (blocking: run it in a thread); writes the lossless intermediate by default, or any output
    `codec_args` + path describe."""

    def __init__(self, path: Path, width: int, height: int, fps: int,
                 codec_args: tuple[str, ...] | None = None, timeout_s: float = 600.0,
                 pix_fmt: str = "bgr24") -> None:
        if codec_args is None:
            codec_args = YUV_INTERMEDIATE_ARGS if pix_fmt == "yuv420p" else INTERMEDIATE_ARGS
        super().__init__(path, width, height, fps, [*codec_args, str(path)], timeout_s, pix_fmt)

    def write(self, frame: np.ndarray) -> None:
        shape = (self.height, self.width, 3) if self.pix_fmt == "bgr24" else (self.height * 3 // 2, self.width)
        if frame.shape != shape or frame.dtype != np.uint8:
            raise ValueError(f"frame {frame.shape} {frame.dtype} is not {'×'.join(map(str, shape))} uint8")
        self.write_bytes(np.ascontiguousarray(frame).data)

    def __enter__(self) -> "RawVideoWriter":
        return self


async def extract_frame(video: Path, index: int, out_png: Path) -> Path:
    """Frame `index` (0-based, decode order = display order for our streams) as a PNG, frame-exact."""
    await ffmpeg("-i", str(video), "-vf", f"select=eq(n\\,{index})", "-frames:v", "1",
                 "-fps_mode", "passthrough", str(out_png))
    if not await asyncio.to_thread(out_png.exists):
        raise MediaToolError(f"{video.name} has no frame {index}")
    return out_png


async def extract_last_frame(video: Path, out_png: Path) -> Path:
    """The last frame of a video as a PNG (counts frames first, so it is exact, not a seek guess)."""
    info = await probe(video)
    if info.frames < 1:
        raise MediaToolError(f"{video.name} has no video frames")
    return await extract_frame(video, info.frames - 1, out_png)


async def read_frames(video: Path, width: int, height: int) -> np.ndarray:
    """Every frame of a (small) video as an N×H×W×3 BGR array; for tests and inspection, not for 1080p."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frames.bgr"
        await ffmpeg("-i", str(video), "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}",
                     "-fps_mode", "passthrough", str(raw))
        data = np.frombuffer(raw.read_bytes(), dtype=np.uint8)
    return data.reshape(-1, height, width, 3)
