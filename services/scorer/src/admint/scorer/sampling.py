"""Decode a video once into the frames every dimension reads.

All frames (or a chosen rate) are scaled to a small analysis size (swscale's area filter, as ffmpeg's scale filter
with flags=area) in one decode: the decode of a 1080×1920 master is the largest cost of scoring, so it happens
exactly once. When a caption is scored, the same pass also crops the caption's box at the source resolution from
evenly spaced frames (glyph strokes are only a pixel or two wide at the analysis size).

The decode runs in this process through PyAV (FFmpeg's libraries), in a worker thread at the media tools' nice
level (as the ffmpeg process ran). Starting Debian's ffmpeg
cost about 0.1 s of CPU before it decoded a frame (it links some 200 libraries): more than half of what scoring
a 36×64 chunk cost (decode 0.16 → 0.02 s CPU). At 1080×1920 the decode costs 10 % less (2.0 → 1.8 s a chunk).
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

from admint.scorer.media_tools import MediaInfo, MediaToolError, in_tool_thread, probe


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
    picks = CropPicks(crop, crop_step, window)
    small, band = await in_tool_thread(_decode, Path(path), (width, height), sampling.fps, expected, picks)
    return SampledVideo(small, fps, (info.width, info.height), info.duration_s, info.has_audio,
                        band if crop is not None else None, crop_step, crop)


@dataclass(frozen=True)
class CropPicks:
    """Which frames give a crop: every `step`-th from the window's first (the whole video when it is empty)."""

    box: Box | None
    step: int
    window: tuple[int, int]

    def wants(self, n: int) -> bool:
        first, last = self.window if self.window[1] > self.window[0] else (0, n)
        return self.box is not None and first <= n <= last and (n - first) % self.step == 0


def _decode(path: Path, size: tuple[int, int], fps: float | None, expected: int, picks: CropPicks
            ) -> tuple[np.ndarray, np.ndarray]:
    """Every frame (resampled to `fps` when set) at `size`, BGR; and the picked frames' crops at the source
    resolution, converted to BGR before the crop (a crop of 4:2:0 would snap odd offsets and sizes to even)."""
    small: list[np.ndarray] = []
    band: list[np.ndarray] = []
    scaler, converter = VideoReformatter(), VideoReformatter()  # one scaling context each, not one per frame
    try:
        with av.open(str(path)) as container:  # the decoder's own threading: frame threads cost 10 % more CPU
            stream = container.streams.video[0]
            frames: Iterable[VideoFrame] = container.decode(stream)
            for n, frame in enumerate(at_rate(frames, fps, expected) if fps else frames):
                small.append(scaler.reformat(frame, size[0], size[1], "bgr24", interpolation="AREA").to_ndarray())
                if picks.wants(n) and picks.box is not None:
                    box = picks.box
                    band.append(converter.reformat(frame, format="bgr24").to_ndarray()[box.y0:box.y1, box.x0:box.x1])
    except (av.FFmpegError, IndexError) as exc:  # unreadable, or no video stream
        raise MediaToolError(f"cannot decode {path.name}: {exc}") from exc
    if not small:
        raise MediaToolError(f"decoded no frames from {path.name}")
    return np.stack(small), (np.stack(band) if band else np.zeros((0, 1, 1, 3), dtype=np.uint8))


def at_rate(frames: Iterable[VideoFrame], fps: float, count: int) -> Iterator[VideoFrame]:
    """`count` frames on a grid of `fps` from the first frame's time, as ffmpeg's fps filter makes them: a slot
    takes the first frame whose time rounds to it (half up, in exact timestamp arithmetic), an empty slot
    repeats the frame before, and the last frame fills the slots up to `count`."""
    rate = Fraction(fps).limit_denominator(1001)
    start: Fraction | None = None
    slot, previous = 0, None
    for frame in frames:
        t = Fraction(frame.pts or 0) * Fraction(frame.time_base or 1)
        start = t if start is None else start
        target = math.floor((t - start) * rate + Fraction(1, 2))
        while previous is not None and slot < min(target, count):
            yield previous
            slot += 1
        if slot >= count:
            return
        if target >= slot:
            yield frame
            slot += 1
        previous = frame
    while previous is not None and slot < count:  # the last frame lasts to the end, as at ffmpeg's EOF
        yield previous
        slot += 1
