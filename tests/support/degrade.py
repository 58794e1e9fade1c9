"""Clean and deliberately degraded clips for the scorer's tests and for bench/quality_table.py.

One clean clip is rendered by the offline video model from a textured storyboard frame; each degradation
damages one thing a viewer would notice (blur, blown exposure, flicker, a freeze, shake, black frames, a
caption on a same-coloured background, a subject swap), on the raw frames, before the house encode.
"""

import wave
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from admint.chunker.offline_video import OfflineVideoModel
from admint.contracts.common import CameraMovement, FrameSize
from admint.media.captions import PlacedImage, render_caption
from admint.media.frames import RawVideoWriter, encode_png, read_frames
from admint.media.house import HOUSE
from admint.providers.ports import VideoRequest
from admint.scorer.dimensions import Dimension
from admint.scorer.report import QualityReport

CAPTION = "Fresh taste, every single day"


def textured_storyboard(width: int, height: int, palette: int = 0) -> np.ndarray:
    """A storyboard-like frame: a colour gradient, diagonal stripes and a central 'product' disc, so that
    motion, blur and colour are all measurable. `palette` 1 is a different scene (other hues, other disc)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    if palette == 0:
        img = np.stack([60 + 120 * y / height, 50 + 100 * x / width, 160 - 60 * y / height], -1)
        disc = (40, 200, 240)
    else:
        img = np.stack([150 - 80 * x / width, 70 + 60 * y / height, 40 + 50 * x / width], -1)
        disc = (200, 60, 150)
    img += 40 * (np.sin((x + 0.6 * y) / (0.017 * width)) > 0)[..., None]
    out = np.clip(img, 0, 255).astype(np.uint8)
    cv2.circle(out, (width // 2, int(height * 0.55)), width // 4, disc, -1)
    return out


async def render_beat_file(workdir: Path, width: int, height: int, seconds: float, *, palette: int = 0,
                           movement: CameraMovement = "pan_left", seed: int = 11) -> Path:
    """One beat rendered by the offline video model: the path of its lossless intermediate."""
    request = VideoRequest(
        init_frame_png=encode_png(textured_storyboard(width, height, palette)), prompt="a bottle on a table",
        camera_movement=movement, duration_s=seconds, size=FrameSize(width=width, height=height),
        fps=HOUSE.fps, seed=seed, energy=0.6, beat_offset_s=0.0, beat_length_s=seconds, workdir=workdir,
    )
    return (await OfflineVideoModel().animate(request)).path


async def render_frames(workdir: Path, width: int, height: int, seconds: float, *, palette: int = 0,
                        movement: CameraMovement = "pan_left", seed: int = 11) -> np.ndarray:
    """Frames of one beat rendered by the offline video model (lossless intermediate, read back)."""
    path = await render_beat_file(workdir, width, height, seconds, palette=palette, movement=movement, seed=seed)
    return await read_frames(path, width, height)


def caption_for(width: int, height: int, text: str = CAPTION) -> PlacedImage:
    return render_caption(text, width, height)


def burn(frames: np.ndarray, caption: PlacedImage) -> np.ndarray:
    """Alpha-composite the caption PNG onto every frame (what the chunker's overlay does in ffmpeg)."""
    rgba = cv2.imdecode(np.frombuffer(caption.png, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    assert rgba is not None
    frame_h, frame_w = frames.shape[1:3]
    h, w = min(rgba.shape[0], frame_h - caption.y), min(rgba.shape[1], frame_w - caption.x)  # clipped at edges
    rgba = rgba[:h, :w]
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    out = frames.copy()
    region = out[:, caption.y:caption.y + h, caption.x:caption.x + w].astype(np.float32)
    out[:, caption.y:caption.y + h, caption.x:caption.x + w] = (
        region * (1 - alpha) + rgba[..., :3].astype(np.float32) * alpha + 0.5).astype(np.uint8)
    return out


def encode(frames: np.ndarray, path: Path, fps: int = HOUSE.fps) -> Path:
    """Encode frames in the house format (H.264 High, yuv420p, crf 20, GOP 15): what the scorer will see."""
    height, width = frames.shape[1:3]
    with RawVideoWriter(path, width, height, fps, codec_args=tuple(HOUSE.video_args())) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def blurred(frames: np.ndarray) -> np.ndarray:
    return np.stack([cv2.GaussianBlur(f, (0, 0), 2.0) for f in frames])


def over_exposed(frames: np.ndarray) -> np.ndarray:
    return np.clip(frames.astype(np.float32) * 1.7 + 40, 0, 255).astype(np.uint8)


def flickering(frames: np.ndarray, seed: int = 3) -> np.ndarray:
    """A random brightness gain per frame (±18%), as a bad exposure loop or a mains-hum light would give."""
    gains = np.random.default_rng(seed).uniform(0.82, 1.18, len(frames))
    scaled = frames.astype(np.float32) * gains[:, None, None, None]
    return np.clip(scaled, 0, 255).astype(np.uint8)


def frozen_second_half(frames: np.ndarray) -> np.ndarray:
    out = frames.copy()
    out[len(frames) // 2:] = frames[len(frames) // 2]
    return out


def shaky(frames: np.ndarray, seed: int = 5, amplitude: float = 0.025) -> np.ndarray:
    """A random translation per frame of up to `amplitude` × the width (hand-held shake without a tripod)."""
    h, w = frames.shape[1:3]
    offsets = np.random.default_rng(seed).uniform(-amplitude * w, amplitude * w, (len(frames), 2))
    moved = [cv2.warpAffine(f, np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32), (w, h),
                            borderMode=cv2.BORDER_REFLECT_101)
             for f, (dx, dy) in zip(frames, offsets, strict=True)]
    return np.stack(moved)


def with_black_frames(frames: np.ndarray) -> np.ndarray:
    """Two runs of black frames, ~20% of the clip (a renderer that dropped frames to black)."""
    out = frames.copy()
    run = max(1, len(frames) // 10)
    for start in (int(len(frames) * 0.3), int(len(frames) * 0.7)):
        out[start:start + run] = 0
    return out


def on_same_colour(frames: np.ndarray, caption: PlacedImage) -> np.ndarray:
    """The caption's whole box painted in the caption's own fill colour (white), as over a white wall."""
    out = frames.copy()
    out[:, caption.y:caption.y + caption.height, caption.x:caption.x + caption.width] = 255
    return out


def subject_swapped(frames: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The second half shows another scene (a model that redrew the product in other colours)."""
    out = frames.copy()
    half = len(frames) // 2
    out[half:] = other[half:len(frames)]
    return out


Degradation = Callable[[np.ndarray], np.ndarray]


OWN_DIMENSION = {
    "blurred": Dimension.SHARPNESS,
    "over_exposed": Dimension.EXPOSURE,
    "flickering": Dimension.FLICKER,
    "frozen_second_half": Dimension.FROZEN_SEGMENTS,
    "shaky": Dimension.MOTION_SMOOTHNESS,
    "black_frames": Dimension.BLACK_SEGMENTS,
    "caption_on_same_colour": Dimension.CAPTION_LEGIBILITY,
    "subject_swapped": Dimension.SUBJECT_CONSISTENCY,
}
"""Each degraded copy and the dimension it damages."""


async def render_suite(workdir: Path, width: int = 180, height: int = 320,
                       seconds: float = 2.5) -> tuple[PlacedImage, dict[str, Path]]:
    """The clean clip (caption burnt in) and every degraded copy, house-encoded: {"clean": …, "blurred": …}."""
    raw = await render_frames(workdir, width, height, seconds)
    other = await render_frames(workdir, width, height, seconds, palette=1, movement="dolly_in")
    caption = caption_for(width, height)
    pictures = {
        "clean": raw,
        "blurred": blurred(raw),
        "over_exposed": over_exposed(raw),
        "flickering": flickering(raw),
        "frozen_second_half": frozen_second_half(raw),
        "shaky": shaky(raw),
        "black_frames": with_black_frames(raw),
        "caption_on_same_colour": on_same_colour(raw, caption),
        "subject_swapped": subject_swapped(raw, other),
    }
    return caption, {name: encode(burn(frames, caption), workdir / f"{name}.mp4")
                     for name, frames in pictures.items()}


def degradation_table(clean: QualityReport, degraded: dict[str, QualityReport]) -> str:
    """Rows of: copy, the dimension it damages, clean and degraded score on it, clean and degraded overall."""
    lines = [f"{'copy':24s} {'dimension':20s} {'clean':>7s} {'degraded':>9s} {'overall':>8s} {'degraded':>9s}"]
    for name, report in degraded.items():
        dimension = OWN_DIMENSION[name]
        lines.append(f"{name:24s} {dimension:20s} {clean.dimensions[dimension]:7.1f} "
                     f"{report.dimensions[dimension]:9.1f} {clean.overall:8.1f} {report.overall:9.1f}")
    return "\n".join(lines)


def tone(path: Path, peak: float, seconds: float = 3.0, clip: bool = False, rate: int = 48000) -> Path:
    """A 1 kHz stereo sine of the given peak amplitude (1.0 = full scale) as 16-bit WAV; `clip` hard-clips it
    at full scale (a peak above 1 then squares the wave off)."""
    t = np.arange(int(rate * seconds)) / rate
    signal = peak * np.sin(2 * np.pi * 1000 * t)
    if clip:
        signal = np.clip(signal, -1.0, 1.0)
    pcm = (np.clip(signal, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(pcm, 2).tobytes())
    return path


def amplitude_for(lufs: float) -> float:
    """Peak amplitude of a stereo 1 kHz sine at `lufs`: a full-scale sine in one channel reads −3.01 LUFS
    (ITU-R BS.1770's calibration) and the second channel adds 3.01 dB, so full-scale stereo reads 0 LUFS."""
    return float(10 ** (lufs / 20))
