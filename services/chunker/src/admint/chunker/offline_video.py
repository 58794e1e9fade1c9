"""Offline image-to-video model: animates an init frame with the beat's camera move and a little light motion.

Deterministic per (seed, beat), no network, real video. The camera move is a path over the whole beat (progress 0..1)
in the storyboard frame's pixel space: dolly in/out zooms about a focus point, pans and tilts slide a zoomed
window across the frame, orbit moves a central foreground and the background in opposite directions
(parallax through a soft radial mask). A continuing chunk only has the previous chunk's last frame, so it maps
that frame back through the path (frame(t) = init ∘ path(t_init)⁻¹ ∘ path(t)): the move carries on exactly
where it stopped, at the same speed. A soft light sweep rides on top; it is a function of beat time, removed
from the init frame before warping and added back, so it neither doubles nor jumps.

Frames are rendered in the house pixel format, YUV 4:2:0 BT.709 limited range (I420 planes): the init frame is
converted once, then each frame warps the luma plane at full resolution and the two chroma planes at a quarter
of it, and the light scales the planes about black and neutral grey (what scaling R, G and B does to Y and C).
That is half the bytes of BGR to warp and to pipe, and the encode blends its captions in YUV with no colour
conversion at all.

In the service the model streams (`streaming=True`): it hands the chunker its frames (`VideoResult.frames`),
rendered in a thread while the chunker's one real encode consumes them, so no pixel is encoded, written and
decoded again on the way. Otherwise (tests, tools) it writes a lossless YUV intermediate (x264 qp 0,
ultrafast, tagged BT.709) that the chunker's normalise pass decodes. A continuing chunk starts one frame after
its init frame (it never repeats it).
"""

import asyncio
import functools
import hashlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from admint.core.cpu_pool import Stop
from admint.media.frames import RawVideoWriter, decode_image, fit_cover
from admint.media.house import HOUSE
from admint.providers.ports import RawFrames, VideoRequest, VideoResult
from admint.providers.registry import ModelRegistry, load_registry

NAME = "offline-video"

MOVE_AMOUNT = {
    "static": 0.035, "dolly_in": 0.16, "dolly_out": 0.16, "pan_left": 0.16, "pan_right": 0.16,
    "tilt_up": 0.14, "tilt_down": 0.14, "orbit": 0.14,
}
"""Zoom reached over a whole beat at energy 0.5 (pans/tilts use it as the margin they travel across)."""
GRID_STEP = 8
"""Pixel step of the coarse grids that smooth fields (orbit maps, light) are computed on, then upsampled."""


def ease(p: float) -> float:
    """Half linear, half cosine: starts and ends gently but never stops dead at a chunk or beat join."""
    p = min(1.0, max(0.0, p))
    return 0.5 * p + 0.25 * (1.0 - math.cos(math.pi * p))


def zoom_about(zoom: float, fx: float, fy: float) -> np.ndarray:
    """Backward map (output → source, 3×3) of a zoom that keeps the point (fx, fy) in place."""
    s = 1.0 / zoom
    return np.array([[s, 0.0, fx * (1 - s)], [0.0, s, fy * (1 - s)], [0.0, 0.0, 1.0]])


def window(zoom: float, cx: float, cy: float, width: int, height: int) -> np.ndarray:
    """Backward map (3×3) showing the source window of size (W/zoom, H/zoom) centred on (cx, cy)."""
    s = 1.0 / zoom
    return np.array([[s, 0.0, cx - width * s / 2], [0.0, s, cy - height * s / 2], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class CameraPath:
    """One beat's camera move. `backward(p)` maps output pixels to storyboard pixels at beat progress p."""

    movement: str
    width: int
    height: int
    amount: float
    focus: tuple[float, float]
    direction: float
    """+1/-1: which way an orbit turns (seeded)."""

    @classmethod
    def build(cls, movement: str, energy: float, width: int, height: int, seed: int, beat: int = 0
              ) -> "CameraPath":
        rng = np.random.default_rng([seed, beat, 101])
        amount = MOVE_AMOUNT.get(movement, 0.05) * (0.6 + 0.8 * energy)
        focus = (width * (0.5 + rng.uniform(-0.04, 0.04)), height * (0.46 + rng.uniform(-0.03, 0.03)))
        return cls(movement, width, height, amount, focus, 1.0 if rng.random() < 0.5 else -1.0)

    @property
    def is_affine(self) -> bool:
        return self.movement != "orbit"

    def _slack(self, zoom: float, side: int) -> float:
        """How far a window of this zoom can move off-centre and stay inside the frame (with a margin)."""
        return side * (1 - 1 / zoom) / 2 * 0.92

    def affine(self, p: float) -> np.ndarray:
        """3×3 backward map at progress p (every move but orbit)."""
        e, w, h, a = ease(p), self.width, self.height, self.amount
        if self.movement in ("static", "dolly_in"):
            return zoom_about(1 + a * e, *self.focus)
        if self.movement == "dolly_out":
            return zoom_about(1 + a * (1 - e), *self.focus)
        zoom = 1 + a
        if self.movement in ("pan_left", "pan_right"):
            sign = 1 if self.movement == "pan_left" else -1  # panning left, the window travels right → left
            return window(zoom, w / 2 + sign * self._slack(zoom, w) * (1 - 2 * e), h / 2, w, h)
        if self.movement in ("tilt_up", "tilt_down"):
            sign = 1 if self.movement == "tilt_up" else -1
            return window(zoom, w / 2, h / 2 + sign * self._slack(zoom, h) * (1 - 2 * e), w, h)
        return zoom_about(1 + a * e, *self.focus)

    def _orbit_layers(self, p: float) -> tuple[np.ndarray, np.ndarray]:
        """Background and subject windows of the orbit: the camera circles the subject, so the subject holds
        still (pushing in a little) while the background slides past behind it."""
        e, w, h, a = ease(p), self.width, self.height, self.amount
        zb = 1 + a
        zf = zb * (1 + 0.04 * e)
        bg = window(zb, w / 2 + self.direction * 0.8 * self._slack(zb, w) * (1 - 2 * e), h / 2, w, h)
        fg = window(zf, w / 2, h / 2, w, h)
        return bg, fg

    def mask(self, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """Subject weight: a broad Gaussian around the frame's subject area, so the parallax shear is spread
        over the whole frame (≈10% stretch at most) instead of tearing at a layer edge."""
        short = min(self.width, self.height)
        dx = (gx - self.width * 0.5) / (0.5 * short)
        dy = (gy - self.height * 0.55) / (0.6 * short)
        return np.exp(-0.5 * (dx * dx + dy * dy))

    def orbit_points(self, p: float, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Source coordinates of output points (gx, gy) at progress p: the two layers blended by the mask."""
        bg, fg = self._orbit_layers(p)
        m = self.mask(gx, gy)
        sx = (1 - m) * (bg[0, 0] * gx + bg[0, 2]) + m * (fg[0, 0] * gx + fg[0, 2])
        sy = (1 - m) * (bg[1, 1] * gy + bg[1, 2]) + m * (fg[1, 1] * gy + fg[1, 2])
        return sx, sy

    def orbit_inverse(self, p: float, sx: np.ndarray, sy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Output coordinates that show source points (sx, sy) at progress p (Newton steps; the map is close
        to a uniform zoom, so its inverse Jacobian is about the zoom)."""
        bg, _ = self._orbit_layers(p)
        zoom = 1.0 / bg[0, 0]
        x = (sx - bg[0, 2]) * zoom
        y = (sy - bg[1, 2]) * zoom
        for _ in range(8):
            fx, fy = self.orbit_points(p, x, y)
            x = x - zoom * (fx - sx)
            y = y - zoom * (fy - sy)
        return x, y


class Grid:
    """A coarse grid of output pixel centres whose values upsample exactly to full resolution."""

    def __init__(self, width: int, height: int, step: int = GRID_STEP) -> None:
        self.width, self.height = width, height
        gw, gh = max(2, math.ceil(width / step)), max(2, math.ceil(height / step))
        xs = (np.arange(gw) + 0.5) * (width / gw) - 0.5
        ys = (np.arange(gh) + 0.5) * (height / gh) - 0.5
        self.x, self.y = np.meshgrid(xs, ys)

    def upsample(self, values: np.ndarray) -> np.ndarray:
        size = (self.width, self.height)
        return cv2.resize(values.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)

    def upsample_half(self, values: np.ndarray) -> np.ndarray:
        """The same field at half resolution (the chroma planes): the coarse points are the same pixel
        centres in chroma coordinates, x_c = (x - 0.5) / 2."""
        size = (self.width // 2, self.height // 2)
        return cv2.resize(values.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)


def _gain_about(plane: np.ndarray, band: np.ndarray, scale: float, level: int) -> None:
    """plane = level + (plane - level) × (1 + band × scale), in place: plane - level × k + plane × k, so uint8
    never goes below zero on the way (saturating only at white)."""
    gained = cv2.multiply(plane, band, scale=scale)
    cv2.subtract(plane, cv2.convertScaleAbs(band, alpha=level * scale), dst=plane)
    cv2.add(plane, gained, dst=plane)


class LightSweep:
    """A soft diagonal band of light crossing the frame once per beat (the "light motion" of the shot).

    There is deliberately no per-pixel film grain: noise makes the lossless intermediate ~10× larger and
    spends the final encode's bits on nothing the viewer wants.
    """

    def __init__(self, width: int, height: int, seed: int, energy: float, grid: Grid, beat: int = 0) -> None:
        rng = np.random.default_rng([seed, beat, 202])
        angle = math.radians(rng.uniform(25, 40))
        x = (width - 1 - grid.x) if rng.random() < 0.5 else grid.x
        span = width * math.cos(angle) + height * math.sin(angle)
        self.projection = (x * math.cos(angle) + grid.y * math.sin(angle)) / span
        self.amount = 0.05 + 0.05 * energy
        self.grid = grid

    def band(self, p: float) -> np.ndarray:
        """Band strength 0..1 on the coarse grid at beat progress p (it travels from off one corner to off
        the opposite one over the beat)."""
        centre = -0.3 + 1.6 * p
        return np.exp(-(((self.projection - centre) / 0.13) ** 2))

    def apply_yuv(self, frame: "YuvFrame", p: float) -> None:
        """In place on I420 planes: (Y - 16) and (C - 128) scaled by 1 + amount × band — what scaling R, G and
        B by it does to BT.709 limited-range YUV (saturating uint8 arithmetic, a few ms at 1080×1920)."""
        band = self.band(p) * 255.0
        scale = self.amount / 255.0
        _gain_about(frame.y, self.grid.upsample(band).astype(np.uint8), scale, 16)
        band_c = self.grid.upsample_half(band).astype(np.uint8)
        _gain_about(frame.u, band_c, scale, 128)
        _gain_about(frame.v, band_c, scale, 128)

    def remove(self, frame: np.ndarray, p: float) -> np.ndarray:
        """Undo the light on a rendered frame in BGR (the previous chunk's last frame; the same gain on every
        channel is the gain apply_yuv puts on Y - 16 and C - 128). Saturated pixels stay white: they were at
        least that bright before the light, and dimming them would grey out highlights in later chunks."""
        gain = 1.0 + self.amount * np.round(self.grid.upsample(self.band(p) * 255.0)) / 255.0
        base = np.clip(frame.astype(np.float32) / gain[..., None] + 0.5, 0, 255).astype(np.uint8)
        return np.where(frame >= 254, frame, base)


@dataclass(frozen=True)
class ChunkTiming:
    """Which beat frames a request renders: first_frame .. first_frame + frames - 1."""

    fps: int
    first_frame: int
    frames: int
    beat_length_s: float

    @classmethod
    def of(cls, request: VideoRequest) -> "ChunkTiming":
        duration = request.duration_s
        if request.needed_duration_s is not None:
            duration = min(duration, request.needed_duration_s)
        fps = request.fps
        return cls(fps, round(request.beat_offset_s * fps), max(1, round(duration * fps)),
                   max(request.beat_length_s, 1.0 / fps))

    @property
    def continues(self) -> bool:
        """A chunk later in its beat: its init frame is beat frame first_frame - 1, not the storyboard."""
        return self.first_frame > 0

    def progress(self, frame_index: int) -> float:
        return (frame_index / self.fps) / self.beat_length_s


BT709 = (0.2126, 0.7152, 0.0722)
"""Kr, Kg, Kb of the house colour matrix."""
CHROMA = np.array([[0.5, 0.0, -0.25], [0.0, 0.5, -0.25], [0.0, 0.0, 1.0]])
"""Luma pixel coordinates → chroma plane coordinates (4:2:0, chroma centred between its four luma samples)."""


@dataclass(frozen=True)
class YuvFrame:
    """One I420 frame: a (H × 3/2) × W buffer whose views are the Y plane and the quarter-size U and V planes."""

    buffer: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @classmethod
    def empty(cls, width: int, height: int) -> "YuvFrame":
        buffer = np.empty((height * 3 // 2, width), np.uint8)
        flat, luma, chroma = buffer.reshape(-1), width * height, width * height // 4
        return cls(buffer, flat[:luma].reshape(height, width),
                   flat[luma:luma + chroma].reshape(height // 2, width // 2),
                   flat[luma + chroma:].reshape(height // 2, width // 2))


def to_yuv(bgr: np.ndarray) -> YuvFrame:
    """BGR → BT.709 limited-range I420 (chroma: the mean of each 2×2 block)."""
    kr, kg, kb = BT709
    h, w = bgr.shape[:2]
    luma = np.array([[kb, kg, kr]]) * (219 / 255)
    cb = np.array([[1 - kb, -kg, -kr]]) * (224 / 255 / (2 * (1 - kb)))
    cr = np.array([[-kb, -kg, 1 - kr]]) * (224 / 255 / (2 * (1 - kr)))
    matrix = np.hstack([np.vstack([luma, cb, cr]), [[16.0], [128.0], [128.0]]])
    yuv = cv2.transform(bgr.astype(np.float32), matrix.astype(np.float32))
    frame = YuvFrame.empty(w, h)
    frame.y[:] = np.clip(np.rint(yuv[..., 0]), 0, 255)
    half = cv2.resize(yuv[..., 1:], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    frame.u[:] = np.clip(np.rint(half[..., 0]), 0, 255)
    frame.v[:] = np.clip(np.rint(half[..., 1]), 0, 255)
    return frame


def _warp_plane(plane: np.ndarray, matrix: np.ndarray, out: np.ndarray) -> None:
    cv2.warpAffine(plane, matrix[:2], (out.shape[1], out.shape[0]), dst=out,
                   flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101)


def _remap_plane(plane: np.ndarray, sx: np.ndarray, sy: np.ndarray, out: np.ndarray) -> None:
    cv2.remap(plane, sx, sy, cv2.INTER_LINEAR, dst=out, borderMode=cv2.BORDER_REFLECT_101)


def _warp(image: YuvFrame, path: CameraPath, grid: Grid, p: float, inverse_init: np.ndarray | None,
          p_init: float | None, out: YuvFrame) -> None:
    """image (the init frame, light removed) as seen at progress p, into out: luma at full resolution, chroma
    through the same move in its own coordinates."""
    if path.is_affine:
        matrix = path.affine(p)
        if inverse_init is not None:
            matrix = inverse_init @ matrix
        _warp_plane(image.y, matrix, out.y)
        chroma = CHROMA @ matrix @ np.linalg.inv(CHROMA)
        _warp_plane(image.u, chroma, out.u)
        _warp_plane(image.v, chroma, out.v)
        return
    sx, sy = path.orbit_points(p, grid.x, grid.y)
    if p_init is not None:
        sx, sy = path.orbit_inverse(p_init, sx, sy)
    _remap_plane(image.y, grid.upsample(sx), grid.upsample(sy), out.y)
    cx, cy = grid.upsample_half((sx - 0.5) / 2), grid.upsample_half((sy - 0.5) / 2)
    _remap_plane(image.u, cx, cy, out.u)
    _remap_plane(image.v, cx, cy, out.v)


def render_frames(request: VideoRequest, write: Callable[[np.ndarray], None], stop: Stop | None = None) -> int:
    """Render the chunk's frames (I420 buffers, see YuvFrame) in order into `write`; returns the frame count.
    Blocking."""
    w, h = request.size.width, request.size.height
    timing = ChunkTiming.of(request)
    init = fit_cover(decode_image(request.init_frame_png, "the init frame"), w, h)
    grid = Grid(w, h)
    path = CameraPath.build(request.camera_movement, request.energy, w, h, request.seed, request.beat_index)
    light = LightSweep(w, h, request.seed, request.energy, grid, request.beat_index)
    inverse_init: np.ndarray | None = None
    p_init: float | None = None
    if timing.continues:
        init_index = timing.first_frame - 1
        p_init = timing.progress(init_index)
        init = light.remove(init, p_init)
        if path.is_affine:
            inverse_init = np.linalg.inv(path.affine(p_init))
    planes = to_yuv(init)
    for i in range(timing.frames):
        if stop is not None and stop.is_set():
            raise asyncio.CancelledError()
        index = timing.first_frame + i
        p = timing.progress(index)
        frame = YuvFrame.empty(w, h)  # a new buffer each frame: the encoder may keep one (the last frame)
        _warp(planes, path, grid, p, inverse_init, p_init, frame)
        light.apply_yuv(frame, p)
        write(frame.buffer)
    return timing.frames


def render_chunk(request: VideoRequest, out: Path, stop: threading.Event | None = None) -> int:
    """Render the chunk's frames into the (lossless YUV) intermediate file; returns the frame count. Blocking."""
    w, h = request.size.width, request.size.height
    with RawVideoWriter(out, w, h, request.fps, pix_fmt=HOUSE.pix_fmt) as writer:
        return render_frames(request, writer.write, stop)


def streamed(request: VideoRequest) -> RawFrames:
    """The chunk as frames rendered on demand (into the chunker's encode) instead of a file. The renderer pickles
    (a module function bound to the request), so the encode may run in a render process (core.cpu_pool)."""
    return RawFrames(request.size.width, request.size.height, request.fps, ChunkTiming.of(request).frames,
                     functools.partial(render_frames, request), pix_fmt=HOUSE.pix_fmt)


class OfflineVideoModel:
    """VideoModel port without a network: camera moves and light on the init frame, seeded."""

    name = NAME

    def __init__(self, chunk_duration_s: float = 5.0, *, registry: ModelRegistry | None = None,
                 streaming: bool = False) -> None:
        self.chunk_duration_s = chunk_duration_s
        self.info = (registry or load_registry()).get(NAME)
        self.streaming = streaming
        """Hand over the frames (VideoResult.frames) instead of writing the intermediate file."""

    async def animate(self, request: VideoRequest) -> VideoResult:
        if self.streaming:
            clip = streamed(request)
            return VideoResult(
                model=NAME, cost_usd=self.info.price(request.duration_s), frames=clip,
                notes={"frames": str(clip.frames), "seconds": f"{clip.frames / request.fps:.3f}",
                       "movement": request.camera_movement},
                repeats_init_frame=False,
            )
        request.workdir.mkdir(parents=True, exist_ok=True)
        params = (request.seed, request.beat_index, request.camera_movement, request.energy, request.duration_s,
                  request.fps, request.needed_duration_s, request.beat_offset_s, request.beat_length_s, request.size)
        key = hashlib.sha256(repr(params).encode() + request.init_frame_png).hexdigest()[:16]
        out = request.workdir / f"{NAME}-{key}.mkv"
        stop = threading.Event()
        task = asyncio.get_running_loop().run_in_executor(None, render_chunk, request, out, stop)
        try:
            frames = await asyncio.shield(task)
        except asyncio.CancelledError:
            stop.set()
            await asyncio.gather(task, return_exceptions=True)
            raise
        seconds = frames / request.fps
        return VideoResult(
            model=NAME, cost_usd=self.info.price(request.duration_s), path=out,
            notes={"frames": str(frames), "seconds": f"{seconds:.3f}", "movement": request.camera_movement},
            repeats_init_frame=False,
        )
