"""A fake of the exporter's encoder port: placeholder files, verdicts on demand, no ffmpeg."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from admint.contracts.common import FrameSize
from admint.contracts.export import SpecCheck
from admint.exporter.ports import CheckTarget, PosterImages
from admint.exporter.renditions import RenditionPlan

POSTER = b"\xff\xd8poster"
THUMBNAIL = b"\xff\xd8thumbnail"


class FakeExportEncoder:
    """Each rendition file says which plan made it; `problems` (by aspect) make a spec check fail."""

    def __init__(self, problems: dict[str, list[str]] | None = None, saliency: np.ndarray | None = None) -> None:
        self.problems = problems or {}
        self.map = saliency
        self.saliency_calls = 0
        self.encoded: list[RenditionPlan] = []
        self.poster_times: list[float] = []
        self.targets: list[CheckTarget] = []

    async def saliency(self, master: Path, size: FrameSize) -> np.ndarray:
        self.saliency_calls += 1
        if self.map is not None:
            return self.map
        rows = round(96 * size.height / size.width)
        detail = np.zeros((rows, 96))
        detail[rows * 3 // 8: rows * 5 // 8] = 1.0  # all the detail in the middle: a centred crop keeps it all
        return detail

    async def encode(
        self, master: Path, plans: Sequence[RenditionPlan], master_size: FrameSize, fps: int, workdir: Path
    ) -> list[Path]:
        assert master.exists()
        paths = []
        for plan in plans:
            self.encoded.append(plan)
            path = workdir / f"{plan.aspect.replace(':', 'x')}.mp4"
            path.write_bytes(f"{plan.method} {plan.size.width}x{plan.size.height}".encode())
            paths.append(path)
        return paths

    async def poster(self, master: Path, times: Sequence[float], workdir: Path) -> PosterImages:
        self.poster_times = list(times)
        return PosterImages(poster=POSTER, thumbnail=THUMBNAIL)

    async def check(self, path: Path, target: CheckTarget) -> SpecCheck:
        assert path.exists()
        self.targets.append(target)
        problems = self.problems.get(target.aspect, [])
        return SpecCheck(passed=not problems, problems=problems, codec="h264", profile="High", pix_fmt="yuv420p",
                         width=target.width, height=target.height, fps=target.fps, duration_s=target.duration_s,
                         faststart=True, has_audio=target.audio)
