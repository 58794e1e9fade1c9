"""The one-pass house-format encode of a video chunk (DESIGN.md §5a).

One ffmpeg run takes whatever the video model produced (any codec, size or frame rate) and writes:
- the chunk in the house format (H.264 High, yuv420p BT.709, target size and fps, closed 15-frame GOPs plus
  keyframes where transition windows begin or end, no audio), cut to exactly `frames` frames (padded with its
  last frame when the model came up a few frames short), with caption/CTA PNGs burnt in with alpha fades;
- optionally the last frame as a PNG taken before the overlays, so the next chunk of the beat starts from
  clean pixels (no caption baked into its init frame) that never went through the lossy encode.
"""

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry import trace

from admint.core.cpu_pool import CpuPool, Stop, StopFlag, off_the_loop
from admint.media.ffmpeg import MediaToolError, ffmpeg
from admint.media.house import HOUSE, HouseFormat
from admint.media.pipe import FramePipe, raw_input_args
from admint.media.probe import MediaInfo, probe

_tracer = trace.get_tracer("admint.media")

FrameFeed = Callable[[Callable[[Any], None], Stop], int]
"""Renders a clip's frames in order into `write` (C-contiguous buffers of one raw frame each, see media.pipe),
stopping early with asyncio.CancelledError once `stop` is set; returns how many it wrote. Blocking: it runs in
a thread or a pool process."""

LAST_FRAME_RGB = ("scale=flags=bicubic+accurate_rnd+full_chroma_int:in_color_matrix=bt709:in_range=tv"
                  ":out_range=pc,format=rgb24")
"""House YUV → the RGB of the clean last frame PNG (the same conversion whether the frame was piped or decoded)."""


@dataclass(frozen=True)
class RawInput:
    """A source that is not a file: raw frames of this size, rate and format (media.pipe: BGR, or the house
    format's own YUV 4:2:0 BT.709 limited range), piped into the encode as they are rendered (a local model's
    clip never goes through an intermediate file and a second decode)."""

    width: int
    height: int
    fps: int
    pix_fmt: str = "bgr24"


@dataclass(frozen=True)
class Overlay:
    """An RGBA PNG burnt in at (x, y) between start_s and end_s of the overlay timeline, with alpha fades.

    The overlay timeline may start before the chunk (see NormaliseJob.timeline_offset_s), so a caption whose
    fade began in the previous chunk of a beat continues here at the right opacity.
    """

    path: Path
    x: int
    y: int
    start_s: float
    end_s: float
    fade_in_s: float = 0.3
    fade_out_s: float = 0.3
    """0 holds it to end_s with no fade (a CTA card that stays to the last frame)."""


@dataclass(frozen=True)
class NormaliseJob:
    source: Path | RawInput
    output: Path
    width: int
    height: int
    fps: int
    frames: int
    """Exact number of frames to write (round(needed_duration_s × fps))."""
    last_frame_png: Path | None = None
    skip_frames: int = 0
    """Leading source frames to drop (a continuing chunk's repeat of its init frame)."""
    overlays: Sequence[Overlay] = ()
    timeline_offset_s: float = 0.0
    """Where this chunk starts on the overlays' timeline (its offset inside its beat)."""
    keyframes: Sequence[int] = ()
    """Extra frame indices that must be keyframes (besides every `house.gop`-th frame)."""
    house: HouseFormat = field(default=HOUSE)
    native_source: bool = False
    """The source file is already house pixels (yuv420p, BT.709 limited, width×height): normalise() finds out
    by probing it. A RawInput in yuv420p at width×height always is."""

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError("a chunk needs at least one frame")
        if self.width % 2 or self.height % 2:
            raise ValueError(f"{self.width}x{self.height}: yuv420p needs even sides")


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def keyframe_expr(job: NormaliseJob) -> str:
    """-force_key_frames expression: every GOP start plus the transition boundaries, by frame number."""
    terms = [f"eq(mod(n,{job.house.gop}),0)"]
    terms += [f"eq(n,{k})" for k in sorted(set(job.keyframes)) if 0 < k < job.frames and k % job.house.gop]
    return "expr:" + "+".join(terms)


def _overlay_chain(index: int, overlay: Overlay, job: NormaliseJob) -> str:
    """Loop the PNG on the overlay timeline, fade its alpha there, then cut it to this chunk's span."""
    steps = ["format=rgba"]
    if overlay.fade_in_s > 0:
        steps.append(f"fade=t=in:st={_num(overlay.start_s)}:d={_num(overlay.fade_in_s)}:alpha=1")
    if overlay.fade_out_s > 0:
        start = max(overlay.start_s, overlay.end_s - overlay.fade_out_s)
        steps.append(f"fade=t=out:st={_num(start)}:d={_num(overlay.fade_out_s)}:alpha=1")
    steps.append(f"trim=start_frame={round(job.timeline_offset_s * job.fps)}")
    steps.append("setpts=PTS-STARTPTS")
    return f"[{index}:v]{','.join(steps)}[ov{index}]"


def native(job: NormaliseJob) -> bool:
    """Whether the source is already in the house pixel format at the target size: then nothing is scaled or
    converted, and the overlays are blended in YUV (the encode's own format) instead of planar RGB."""
    source = job.source
    if isinstance(source, RawInput):
        return source.pix_fmt == job.house.pix_fmt and (source.width, source.height) == (job.width, job.height)
    return job.native_source


def is_house_pixels(info: MediaInfo, job: NormaliseJob) -> bool:
    """A probed source in the house pixel format, colour matrix and range, at the job's size."""
    return (info.pix_fmt == job.house.pix_fmt and (info.width, info.height) == (job.width, job.height)
            and info.color_space == job.house.colour_matrix and info.color_range == "tv")


def filter_graph(job: NormaliseJob) -> str:
    """The whole filtergraph: [vout] (house video) and, when asked, [last] (the clean last frame)."""
    w, h, n = job.width, job.height, job.frames
    yuv = native(job)
    base = []
    if job.skip_frames:
        base += [f"trim=start_frame={job.skip_frames}", "setpts=PTS-STARTPTS"]
    base += [
        f"fps={job.fps}",
        "tpad=stop=-1:stop_mode=clone",
        f"trim=end_frame={n}",
        "setpts=PTS-STARTPTS",
    ]
    if yuv:
        base += ["setsar=1"]
    else:
        base += [
            f"scale={w}:{h}:force_original_aspect_ratio=increase:flags=bicubic",
            f"crop={w}:{h}",
            "setsar=1",
            "format=gbrp",
        ]
    chains = [f"[0:v]{','.join(base)}[base]"]
    main = "base"
    if job.last_frame_png is not None:
        chains.append("[base]split=2[main][lastsrc]")
        chains.append(f"[lastsrc]select=eq(n\\,{n - 1}),{LAST_FRAME_RGB if yuv else 'format=rgb24'}[last]")
        main = "main"
    offset = job.timeline_offset_s
    for i, overlay in enumerate(job.overlays, start=1):
        chains.append(_overlay_chain(i, overlay, job))
        start, end = max(0.0, overlay.start_s - offset), overlay.end_s - offset
        enable = f"between(t\\,{_num(start)}\\,{_num(end)})"
        chains.append(
            f"[{main}][ov{i}]overlay=x={overlay.x}:y={overlay.y}:format={'yuv420' if yuv else 'gbrp'}"
            ":eof_action=pass"
            f":enable='{enable}'[m{i}]"
        )
        main = f"m{i}"
    if yuv:
        chains.append(f"[{main}]format={job.house.pix_fmt}[vout]")
    else:
        chains.append(
            f"[{main}]scale=w=iw:h=ih:out_color_matrix={job.house.colour_matrix}:out_range=tv,"
            f"format={job.house.pix_fmt}[vout]"
        )
    return ";".join(chains)


def ffmpeg_args(job: NormaliseJob) -> list[str]:
    """Arguments after `ffmpeg -y`: inputs, the filtergraph, the house video output, the last-frame PNG."""
    source = job.source
    if isinstance(source, RawInput):
        return [*raw_input_args(source.width, source.height, source.fps, source.pix_fmt), *_after_source(job)]
    return ["-i", str(source), *_after_source(job)]


def _after_source(job: NormaliseJob) -> list[str]:
    """Everything after the source input: the overlays' inputs, the filtergraph and the outputs."""
    house = dataclasses.replace(job.house, fps=job.fps)
    length_s = job.timeline_offset_s + job.frames / job.fps + 1 / job.fps
    args: list[str] = []
    for overlay in job.overlays:
        args += ["-loop", "1", "-framerate", str(job.fps), "-t", _num(length_s), "-i", str(overlay.path)]
    args += ["-filter_complex", filter_graph(job)]
    args += ["-map", "[vout]", "-an", *house.video_args(), "-force_key_frames", keyframe_expr(job),
             "-frames:v", str(job.frames), str(job.output)]
    if job.last_frame_png is not None:
        args += ["-map", "[last]", "-frames:v", "1", "-update", "1", str(job.last_frame_png)]
    return args


async def normalise(job: NormaliseJob, *, timeout_s: float = 600.0, feed: FrameFeed | None = None,
                    pool: CpuPool | None = None) -> MediaInfo:
    """Run the encode and check what it wrote (frame count, size) before anyone stores it. A RawInput source
    takes its frames from `feed`, rendered while ffmpeg encodes them (both cores busy): in a process of `pool`
    when one is given (then the feed must pickle), else in a thread of this one."""
    if isinstance(job.source, RawInput):
        if feed is None:
            raise ValueError("a RawInput source needs the feed that renders its frames")
        await _encode_piped(job, job.source, feed, timeout_s, pool)
    else:
        if not job.native_source and is_house_pixels(await probe(job.source), job):
            job = dataclasses.replace(job, native_source=True)
        await ffmpeg(*ffmpeg_args(job), timeout_s=timeout_s)
    return await _checked(job)


async def _encode_piped(job: NormaliseJob, source: RawInput, feed: FrameFeed, timeout_s: float,
                        pool: CpuPool | None) -> None:
    """encode_piped in a pool process or a thread; a cancel stops the feed (which ends ffmpeg) before it returns."""
    stop: threading.Event | StopFlag = threading.Event()
    if pool is not None:
        stop = StopFlag(job.output.parent / f".{job.output.name}.stop")
        stop.clear()
    with _tracer.start_as_current_span("ffmpeg", attributes={"process.executable.name": "ffmpeg",
                                                             "process.command_args": ffmpeg_args(job)[:64]}):
        task = asyncio.ensure_future(off_the_loop(pool, encode_piped, job, source, feed, timeout_s, stop))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            stop.set()
            await asyncio.gather(task, return_exceptions=True)
            raise


def encode_piped(job: NormaliseJob, source: RawInput, feed: FrameFeed, timeout_s: float, stop: Stop) -> None:
    """The encode with the feed writing into ffmpeg's stdin, then the clean last PNG from the frame in hand.
    Blocking; raises asyncio.CancelledError (from the feed) once `stop` is set."""
    encode = dataclasses.replace(job, last_frame_png=None)
    last: list[Any] = []
    last_index = job.skip_frames + job.frames - 1
    """The source frame that ends the chunk (or the final one, which the encode pads with, when short)."""
    with FramePipe(job.output, source.width, source.height, source.fps, _after_source(encode),
                   timeout_s, source.pix_fmt) as pipe:

        def write(frame: Any) -> None:
            if pipe.frames <= last_index:
                last[:] = [frame]
            pipe.write_bytes(frame)

        feed(write, stop)
    if job.last_frame_png is not None and last:
        # the clean last frame, straight from the frame in hand: a split in the filtergraph would copy
        # every frame to keep one
        to_rgb = ["-vf", LAST_FRAME_RGB] if native(job) else ["-pix_fmt", "rgb24"]
        with FramePipe(job.last_frame_png, source.width, source.height, source.fps,
                       [*to_rgb, "-frames:v", "1", "-update", "1", str(job.last_frame_png)],
                       timeout_s, source.pix_fmt) as png:
            png.write_bytes(last[0])


async def _checked(job: NormaliseJob) -> MediaInfo:
    info = await probe(job.output)
    if info.frames != job.frames or (info.width, info.height) != (job.width, job.height):
        raise MediaToolError(
            f"normalised chunk has {info.frames} frames at {info.width}x{info.height}, "
            f"expected {job.frames} at {job.width}x{job.height}"
        )
    if job.last_frame_png is not None and not job.last_frame_png.exists():
        raise MediaToolError("normalise did not write the last frame")
    return info
