"""A fake of the scorer's VideoScorer port: scores chosen per file content, no ffmpeg."""

import asyncio
from pathlib import Path

from admint.contracts.chunks import CaptionShown
from admint.contracts.quality import QualityScores
from admint.scorer.config import ScorerSettings
from admint.scorer.ports import Joins, Ports, ScoringFailed
from tests.support.builders import quality_scores
from tests.support.fakes import FakeGenerationStore, FakeObjectStore


class FakeVideoScorer:
    """Scores a file by its bytes: b"blurred…" scores 30, b"broken" cannot be scored, anything else 80."""

    def __init__(self) -> None:
        self.chunks: list[tuple[bytes, CaptionShown | None]] = []
        self.masters: list[tuple[bytes, Joins]] = []

    def _score(self, data: bytes) -> QualityScores:
        if data == b"broken":
            raise ScoringFailed("no video frames to score")
        return quality_scores(30.0 if data.startswith(b"blurred") else 80.0)

    async def score_chunk(self, path: Path, caption: CaptionShown | None) -> QualityScores:
        data = Path(path).read_bytes()
        self.chunks.append((data, caption))
        return self._score(data)

    async def score_master(self, path: Path, joins: Joins) -> QualityScores:
        data = Path(path).read_bytes()
        self.masters.append((data, joins))
        return self._score(data)


def scorer_ports(tmp_path: Path) -> tuple[Ports, FakeGenerationStore, FakeObjectStore, FakeVideoScorer]:
    docs, blobs, scorer = FakeGenerationStore(), FakeObjectStore(), FakeVideoScorer()
    ports = Ports(docs=docs, blobs=blobs, scorer=scorer, settings=ScorerSettings(workdir=str(tmp_path)),
                  slots=asyncio.Semaphore(1))
    return ports, docs, blobs, scorer
