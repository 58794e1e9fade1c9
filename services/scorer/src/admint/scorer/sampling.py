"""Decode a video once into the frames every dimension reads.

All frames (or a chosen rate) are scaled to a small analysis size and read through ffmpeg's rawvideo pipe in
one decode: the decode of a 1080×1920 master is the largest cost of scoring, so it happens exactly once.
When a caption is scored, the same pass also crops the caption's box at the source resolution from evenly
spaced frames (glyph strokes are only a pixel or two wide at the analysis size).
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from admint.scorer.media_tools import MediaInfo, MediaToolError, ffmpeg, probe


@dataclass(frozen=True)
class Box:
    """A pixel rectangle [x0, x1) × [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Sampling:
    """How a video is sampled for scoring."""

    long_side: int = 320
    """Analysis size: frames are scaled (area filter) so their long side has this many pixels, never up."""
    fps: float | None = None
    """Frames per second kept; None keeps every frame, so the temporal dimensions see every frame step."""
    stills: int = 16
    """How many evenly spaced frames the per-picture dimensions (sharpness, exposure, …) read."""

    def __post_init__(self) -> None:
        if self.long_side < 32 or self.stills < 1 or (self.fps is not None and self.fps <= 0):
            raise ValueError(f"unusable sampling {self}")


@dataclass(frozen=True)
class SampledVideo:
    """The decoded sample: `frames` (N×H×W×3 BGR uint8 at the analysis size, `fps` apart) and, when asked
    for, `crops` of one source-resolution box from every `crop_step`-th frame."""

    frames: np.ndarray
    fps: float
    source_size: tuple[int, int]
    duration_s: float
    has_audio: bool
    crops: np.ndarray | None = None
    crop_step: int = 1
    crop_box: Box | None = None

    @property
    def analysis_size(self) -> tuple[int, int]:
        """(width, height) of `frames`."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])

    def stills(self, count: int) -> np.ndarray:
        """`count` evenly spaced frames (all of them when there are fewer)."""
        return self.frames[still_indices(len(self.frames), count)]


def still_indices(total: int, count: int) -> np.ndarray:
    """Indices of `count` evenly spaced frames out of `total`, first and last included."""
    if total <= 0:
        return np.zeros(0, dtype=int)
    return np.unique(np.linspace(0, total - 1, min(count, total)).round().astype(int))


def analysis_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Scale (width, height) so the long side is `long_side` (never up), keeping the aspect; even numbers, as
    video scalers prefer."""
    scale = min(1.0, long_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _filter_graph(size: tuple[int, int], fps: float | None, crop: Box | None, crop_step: int,
                  crop_frames: tuple[int, int] = (0, 0)) -> str:
    head = f"[0:v]fps={fps:g}," if fps else "[0:v]"
    scale = f"scale={size[0]}:{size[1]}:flags=area"
    if crop is None:
        return f"{head}{scale}[small]"
    first, last = crop_frames
    pick = (f"between(n\\,{first}\\,{last})*not(mod(n-{first}\\,{crop_step}))" if last > first
            else f"not(mod(n\\,{crop_step}))")
    # RGB before the crop: a crop of yuv420p snaps odd offsets and sizes to even ones (a pixel off the mask).
    return (f"{head}split=2[all][cap];[all]{scale}[small];"
            f"[cap]select='{pick}',format=bgr24,"
            f"crop={crop.width}:{crop.height}:{crop.x0}:{crop.y0}[band]")


async def sample_video(path: Path, sampling: Sampling = Sampling(), *, crop: Box | None = None,
                       crops: int = 16, crop_window_s: tuple[float, float] | None = None,
                       info: MediaInfo | None = None) -> SampledVideo:
    """Decode `path` once into a SampledVideo; `crop` (source pixels) adds about `crops` crops of that box,
    taken from the frames between `crop_window_s` (seconds; the whole video by default) — a caption that a
    chunk shows for part of its length is read only while it is shown."""
    info = info or await probe(path)
    if info.width <= 0 or info.height <= 0 or info.frames <= 0:
        raise MediaToolError(f"{Path(path).name} has no video frames to score")
    width, height = analysis_size(info.width, info.height, sampling.long_side)
    fps = sampling.fps or info.fps or 30.0
    expected = info.frames if sampling.fps is None else max(1, round(info.duration_s * fps))
    window = (0, 0)
    if crop_window_s is not None:
        first = max(0, round(crop_window_s[0] * fps))
        last = min(expected - 1, round(crop_window_s[1] * fps) - 1)
        window = (first, last) if last > first else (0, 0)
    span = window[1] - window[0] + 1 if window[1] > window[0] else expected
    crop_step = max(1, span // max(1, crops))
    if crop is not None:
        crop = Box(max(0, crop.x0), max(0, crop.y0), min(info.width, crop.x1), min(info.height, crop.y1))
        if crop.width <= 0 or crop.height <= 0:
            raise ValueError(f"crop box {crop} lies outside the {info.width}×{info.height} frame")
    graph = _filter_graph((width, height), sampling.fps, crop, crop_step, window)
    raw_out = ["-map", "[small]", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24"]
    if crop is None:
        data = await ffmpeg("-i", str(path), "-filter_complex", graph, *raw_out, "pipe:1")
        return SampledVideo(_stack(data, width, height), fps, (info.width, info.height), info.duration_s,
                            info.has_audio)
    with tempfile.TemporaryDirectory(prefix="admint-scorer-") as tmp:
        band_file = Path(tmp) / "band.bgr"
        band_out = ["-map", "[band]", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24"]
        data = await ffmpeg("-i", str(path), "-filter_complex", graph, *raw_out, "pipe:1", *band_out,
                            str(band_file))
        band = _stack(band_file.read_bytes(), crop.width, crop.height)
    return SampledVideo(_stack(data, width, height), fps, (info.width, info.height), info.duration_s,
                        info.has_audio, band, crop_step, crop)


def _stack(data: bytes, width: int, height: int) -> np.ndarray:
    frame_bytes = width * height * 3
    if len(data) < frame_bytes or len(data) % frame_bytes:
        raise MediaToolError(f"decoded {len(data)} bytes, not whole {width}×{height} frames")
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, height, width, 3)
