"""The scorer's ports: storage (core) and the video scorer (the measurement library, measure.py).

The handlers decide what to score and record; the scorer port does the media work (decode, measure, combine).
Unit tests fake it, so the handlers need no ffmpeg.
"""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from admint.contracts.chunks import CaptionShown
from admint.contracts.quality import QualityScores
from admint.core.stores import GenerationStore, ObjectStore
from admint.scorer.config import ScorerSettings


@dataclass(frozen=True)
class Joins:
    """Where a master's beats meet: the times the joins begin, and how they join."""

    starts_s: tuple[float, ...]
    kind: Literal["crossfade", "cut"] = "crossfade"
    crossfade_s: float = 0.5


class ScoringFailed(Exception):
    """The video cannot be scored (no frames, an undecodable file): recorded as the score's error, never retried."""


class VideoScorer(Protocol):
    async def score_chunk(self, path: Path, caption: CaptionShown | None) -> QualityScores:
        """A chunk: picture, motion and consistency dimensions, and its caption's legibility while shown."""
        ...

    async def score_master(self, path: Path, joins: Joins) -> QualityScores:
        """A master or rendition: the chunk dimensions (consistency per beat), its joins and its loudness."""
        ...


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    scorer: VideoScorer
    settings: ScorerSettings
    slots: asyncio.Semaphore
    """Videos scored at once in this process (scoring is CPU-bound)."""
