"""The stitcher's media port: what the handler asks of the encoder, and the values that cross it.

The handler decides (which chunks, how many frames each beat gives, what is recorded); the encoder does the media
work — the music bed and the smart render — with ffmpeg and the MP4 sample-table writer (encoder.py). Unit tests
fake it, so these types live here rather than in the adapter: the handler never imports media code.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ClipFile:
    """One chunk on local disk, with its place in the ad."""

    beat: int
    chunk: int
    path: Path
    sha256: str = ""
    """Its content hash, when known (the chunk's ArtifactRef): part of the fingerprint of the windows it feeds."""

    @property
    def id(self) -> str:
        return f"{self.beat}-{self.chunk}"


@dataclass(frozen=True)
class RenderJob:
    """One master to render: the chunks, each beat's frame target (overlap included) and where it goes."""

    clips: Sequence[ClipFile]
    targets: Sequence[int]
    overlap: int
    """Crossfade length in frames (0: hard cuts)."""
    width: int
    height: int
    fps: int
    out: Path
    workdir: Path
    max_fit: int | None = None
    """A beat whose chunks miss its target by more frames than this is refused (TimelineError)."""
    reuse: "ReusedWindows | None" = None
    """Windows an earlier master of the same ad already holds: copied from it instead of encoded again."""


@dataclass(frozen=True)
class PlacedWindow:
    """A transition window in a master: what it was made from (fingerprint) and where its frames are."""

    fingerprint: str
    start: int
    frames: int


@dataclass(frozen=True)
class ReusedWindows:
    """An earlier master (a previous version of the ad) and the windows it holds, by fingerprint."""

    master: Path
    windows: Sequence[PlacedWindow]


@dataclass(frozen=True)
class StitchResult:
    path: Path
    frames: int
    expected_frames: int
    copied_frames: int
    encoded_frames: int
    windows: int
    has_audio: bool
    normalised: int = 0
    """Chunks that were not stream-compatible and had to be re-encoded first."""
    assembled_by: str = ""
    """How the master was written: "sample-tables" (join_mp4) or "ffmpeg-concat" (the fallback)."""
    placed: Sequence[PlacedWindow] = ()
    """Every window of this master, where it sits (so a later version can reuse it)."""
    reused_windows: int = 0
    """Windows copied from an earlier master instead of encoded."""


BedSource = Callable[[], Awaitable[Path | None]]
"""Called by the render once the windows are encoded: the finished bed, or None for a silent master."""


class StitchEncoder(Protocol):
    async def music_bed(self, track: Path, duration_s: float, out: Path) -> Path:
        """The composed track made into the ad's bed: cut to duration_s, faded, loudness-normalised, AAC."""
        ...

    async def render(self, job: RenderJob, music: BedSource | None = None) -> StitchResult:
        """The master: crossfade/fit windows re-encoded, everything else copied, the bed muxed in, moov first.

        Raises timeline.TimelineError when the chunks cannot be joined as asked (a permanent condition).
        """
        ...
