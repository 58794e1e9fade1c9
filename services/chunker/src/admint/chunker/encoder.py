"""The ChunkEncoder port on admint.media: ffprobe measures the model's clip; caption/CTA cards are rendered to PNGs
and the one normalise encode cuts, converts and captions the chunk (and keeps its clean last frame). A clip a
local model renders on demand (RawFrames) is piped into that encode as it is rendered: no file, no second decode.

An adapter like the docstore: it decides nothing — the job (work.py) says what to write.
"""

from pathlib import Path

from admint.chunker.ports import ChunkJob, ClipLength, EncodedChunk
from admint.chunker.timeline import OverlayWindow
from admint.core.cpu_pool import CpuPool, off_the_loop
from admint.media.captions import render_caption, render_cta
from admint.media.normalise import NormaliseJob, Overlay, RawInput, normalise
from admint.media.probe import probe
from admint.providers.ports import RawFrames


class MediaChunkEncoder:
    """ChunkEncoder with ffmpeg; `timeout_s` limits one normalise encode. With a `pool`, the caption cards and a
    streamed clip's rendering (Python-bound) run in its processes, never holding this process's GIL."""

    def __init__(self, *, timeout_s: float = 600.0, pool: CpuPool | None = None) -> None:
        self.timeout_s = timeout_s
        self.pool = pool

    async def measure(self, clip: Path | RawFrames) -> ClipLength:
        if isinstance(clip, RawFrames):
            return ClipLength(frames=clip.frames, fps=clip.fps, duration_s=clip.frames / clip.fps)
        info = await probe(clip)
        return ClipLength(frames=info.frames, fps=info.fps, duration_s=info.duration_s)

    async def encode(self, clip: Path | RawFrames, job: ChunkJob, workdir: Path) -> EncodedChunk:
        out = EncodedChunk(video=workdir / "chunk.mp4", last_frame=workdir / "last.png")
        overlays = await off_the_loop(self.pool, render_overlays, job, workdir)
        source = RawInput(clip.width, clip.height, clip.fps, clip.pix_fmt) if isinstance(clip, RawFrames) else clip
        await normalise(NormaliseJob(
            source=source, output=out.video, width=job.width, height=job.height, fps=job.fps, frames=job.frames,
            last_frame_png=out.last_frame, skip_frames=job.skip_frames, overlays=overlays,
            timeline_offset_s=job.beat_offset_s, keyframes=job.keyframes,
        ), timeout_s=self.timeout_s, feed=clip.render if isinstance(clip, RawFrames) else None, pool=self.pool)
        return out


def render_overlays(job: ChunkJob, workdir: Path) -> list[Overlay]:
    """The job's caption/CTA windows as placed PNGs (identical in every chunk of a beat), on the beat timeline."""
    return [_overlay(window, i, job, workdir) for i, window in enumerate(job.overlays)]


def _overlay(window: OverlayWindow, index: int, job: ChunkJob, workdir: Path) -> Overlay:
    placed = (render_caption if window.kind == "caption" else render_cta)(window.text, job.width, job.height)
    path = workdir / f"overlay-{index}-{window.kind}.png"
    path.write_bytes(placed.png)
    return Overlay(path, placed.x, placed.y, window.start_s, window.end_s, window.fade_in_s, window.fade_out_s)
