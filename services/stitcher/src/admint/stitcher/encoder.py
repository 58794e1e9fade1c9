"""The StitchEncoder port with ffmpeg: the music bed (admint.media.audio) and the smart render (render.py).

An adapter, like the docstore: the only place (with render.py) where the stitcher touches media tools.
"""

from pathlib import Path

from admint.media.audio import BedSettings, render_bed
from admint.stitcher.config import StitcherSettings
from admint.stitcher.ports import BedSource, RenderJob, StitchResult
from admint.stitcher.render import stitch


class FfmpegStitchEncoder:
    """StitchEncoder: windows encoded by ffmpeg, the master written from the MP4 sample tables."""

    def __init__(self, bed: BedSettings | None = None, transition: str = "fade", concurrency: int | None = None):
        self.bed = bed or BedSettings()
        self.transition = transition
        self.concurrency = concurrency
        """Windows encoded at once (None: one per CPU core)."""

    @classmethod
    def from_settings(cls, settings: StitcherSettings) -> "FfmpegStitchEncoder":
        bed = BedSettings(
            fade_in_s=settings.music_fade_in_s, fade_out_s=settings.music_fade_out_s,
            gain_db=settings.music_gain_db, loudness_lufs=settings.music_loudness_lufs,
        )
        return cls(bed, settings.xfade_transition, settings.encode_concurrency or None)

    async def music_bed(self, track: Path, duration_s: float, out: Path) -> Path:
        return await render_bed(track, duration_s, out, self.bed)

    async def render(self, job: RenderJob, music: BedSource | None = None) -> StitchResult:
        return await stitch(
            job.clips, job.targets, job.overlap, width=job.width, height=job.height, fps=job.fps, out=job.out,
            workdir=job.workdir, music=music, transition=self.transition, concurrency=self.concurrency,
            max_fit=job.max_fit, reuse=job.reuse,
        )
