"""Fakes of the stitcher's media side: the encoder port and a music model, no ffmpeg."""

from pathlib import Path

from admint.providers.ports import MusicRequest, MusicResult
from admint.stitcher.ports import BedSource, RenderJob, StitchResult


class FakeStitchEncoder:
    """Renders a placeholder master of the planned length (or `frames`), awaiting the bed like the real one."""

    def __init__(self, *, frames: int | None = None, error: Exception | None = None,
                 bed_error: Exception | None = None) -> None:
        self.frames = frames
        self.error = error
        self.bed_error = bed_error
        self.jobs: list[RenderJob] = []
        self.beds: list[tuple[Path, float]] = []

    async def music_bed(self, track: Path, duration_s: float, out: Path) -> Path:
        if self.bed_error is not None:
            raise self.bed_error
        self.beds.append((track, duration_s))
        out.write_bytes(b"bed of " + track.read_bytes())
        return out

    async def render(self, job: RenderJob, music: BedSource | None = None) -> StitchResult:
        self.jobs.append(job)
        self.reused_master = job.reuse.master.read_bytes() if job.reuse is not None else None
        missing = [c.id for c in job.clips if not c.path.exists()]
        if missing:
            raise AssertionError(f"render called before chunks {missing} were downloaded")
        if self.error is not None:
            raise self.error
        expected = sum(job.targets) - job.overlap * (len(job.targets) - 1)
        windows = len(job.targets) - 1 if job.overlap else 0
        bed = await music() if music is not None else None
        job.out.write_bytes(b"master" + (bed.read_bytes() if bed is not None else b""))
        frames = self.frames if self.frames is not None else expected
        encoded = windows * job.overlap
        return StitchResult(path=job.out, frames=frames, expected_frames=expected, copied_frames=frames - encoded,
                            encoded_frames=encoded, windows=windows, has_audio=bed is not None)


class FakeMusic:
    """A music model that writes a few bytes and charges a little."""

    name = "fake-music"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.requests: list[MusicRequest] = []

    async def compose(self, request: MusicRequest) -> MusicResult:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        path = request.workdir / "track.wav"
        path.write_bytes(b"track")
        return MusicResult(model=self.name, cost_usd=0.02, path=path)
