"""Fakes of the chunker's model and encoder ports: no OpenCV, no ffmpeg, files that describe themselves.

A fake clip is a small JSON file saying how many frames it has (and which chunk asked for it); the fake encoder
reads that for `measure`, records every job, and writes a "chunk" and a "last frame" whose bytes are unique per
chunk (so their ArtifactRefs differ, as real ones would).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from admint.chunker.ports import ChunkJob, ClipLength, EncodedChunk
from admint.providers.ports import VideoRequest, VideoResult


@dataclass
class FakeVideo:
    """A video model that writes a clip description; records what it was asked, optionally fails."""

    name: str = "fake-video"
    chunk_duration_s: float = 5.0
    cost_usd: float = 0.0
    frames: int | None = None
    """Frames of every clip; by default the asked duration's, plus the repeated init frame."""
    repeats_init_frame: bool = True
    fail_with: Exception | None = None
    requests: list[VideoRequest] = field(default_factory=list)

    async def animate(self, request: VideoRequest) -> VideoResult:
        self.requests.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        frames = self.frames if self.frames is not None else round(request.duration_s * request.fps) + 1
        path = request.workdir / "clip.json"
        path.write_text(json.dumps({"frames": frames, "fps": request.fps, "beat": request.beat_index,
                                    "offset_s": request.beat_offset_s, "init": len(request.init_frame_png),
                                    "seed": request.seed}))
        return VideoResult(model=self.name, cost_usd=self.cost_usd, path=path,
                           repeats_init_frame=self.repeats_init_frame)


@dataclass
class FakeEncoder:
    """Measures fake clips; 'encodes' by writing the job down."""

    jobs: list[ChunkJob] = field(default_factory=list)
    by_chunk: dict[tuple[int, float], ChunkJob] = field(default_factory=dict)
    """The last job by (beat, offset of the chunk in its beat)."""

    async def measure(self, clip: Path) -> ClipLength:
        data = json.loads(clip.read_text())
        return ClipLength(frames=data["frames"], fps=data["fps"], duration_s=data["frames"] / data["fps"])

    async def encode(self, clip: Path, job: ChunkJob, workdir: Path) -> EncodedChunk:
        source = json.loads(clip.read_text())
        self.jobs.append(job)
        self.by_chunk[source["beat"], source["offset_s"]] = job
        out = EncodedChunk(video=workdir / "chunk.mp4", last_frame=workdir / "last.png")
        out.video.write_text(json.dumps({"source": source, "frames": job.frames, "skip": job.skip_frames}))
        out.last_frame.write_text(json.dumps({"last of": source}))
        return out
