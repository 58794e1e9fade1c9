"""The generation document: one pydantic model per section, the only shape of `generations` in MongoDB.

Each service writes only its own sections, through the typed methods of `GenerationStore` (docstore.py); readers
get a `GenerationDoc`, never a dict. Spec and plan are stored once. Sections ignore unknown fields, so a document
written by a newer service still reads in an older one during a rolling deploy; documents written before the
typed model (version 1: frames and chunks at the top level, spec and plan copied into the stage sections) are
migrated on read (`upgrade_v1`).
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CostEntry
from admint.contracts.export import Rendition, SpecCheck
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.contracts.quality import QualityKind, QualityScores
from admint.contracts.stages import Stage, Status

DOCUMENT_VERSION = 2


class Section(BaseModel):
    """Tolerant reads: fields this code does not know (yet) are ignored, not fatal."""

    model_config = ConfigDict(extra="ignore")


def chunk_item(beat_index: int, chunk_index: int) -> str:
    """A chunk's key in its generation: "<beat>-<chunk>" (a map key, a progress item, a fan-in member)."""
    return f"{beat_index}-{chunk_index}"


class RequestRecord(Section):
    """The gateway's bookkeeping of the request (never shown to clients)."""

    key_id: str | None = Field(default=None, description="API key that created it.")
    idempotency_key: str | None = Field(default=None, description="Idempotency-Key of the creating request.")
    request_hash: str | None = Field(default=None, description="Fingerprint of the request body.")
    published_at: datetime | None = Field(default=None, description="When generation.requested.v1 was published.")
    trace_id: str | None = Field(default=None, description="OpenTelemetry trace the creating request started "
                                                           "(when tracing is on).")
    webhook_url: str | None = Field(default=None, description="Per-request webhook URL (notifier).")
    estimated_cost_usd: float | None = Field(default=None, description="The estimate when it was accepted.")


class FrameEntry(Section):
    """One stored storyboard frame."""

    image: ArtifactRef = Field(description="The stored PNG.")
    model: str = Field(description="Image model that rendered it.")
    cost_usd: float = Field(default=0.0, description="Its price.", ge=0)
    reused_from: str | None = Field(default=None, description="Generation whose identical frame was copied "
                                                              "instead of rendering it again (group members).")


class StoryboardSection(Section):
    """Written by the storyboard service."""

    image_model: str | None = Field(default=None, description="Image model of this replica at fan-out.")
    total: int = Field(default=0, description="Frames to render (one per beat).", ge=0)
    done: list[int] = Field(default_factory=list, description="Beats whose frame the fan-in has counted.")
    frames: dict[str, FrameEntry] = Field(default_factory=dict, description="Stored frames by beat index.")

    def frame(self, beat: int) -> FrameEntry | None:
        return self.frames.get(str(beat))


class ChunkEntry(Section):
    """One stored, normalised chunk and its clean last frame."""

    beat_index: int = Field(ge=0)
    chunk_index: int = Field(ge=0)
    chunk_count: int = Field(ge=1)
    video: ArtifactRef
    last_frame: ArtifactRef
    duration_s: float = Field(description="Length of the stored, cut chunk.", gt=0)
    requested_duration_s: float = Field(description="Length asked of the model.", gt=0)
    model: str
    cost_usd: float = Field(default=0.0, ge=0)
    take: int = Field(default=0, ge=0, description="Which render of the chunk this is (re-renders count up).")

    @property
    def item(self) -> str:
        return chunk_item(self.beat_index, self.chunk_index)


class ChunkPlanRecord(Section):
    """What the chunker planned at fan-out (kept, so a redelivery plans the same chunks)."""

    model: str = Field(description="Video model the chunks are rendered with.")
    chunk_duration_s: float = Field(description="Native chunk length planned with.", gt=0)
    total: int = Field(description="Chunks in the generation.", ge=1)
    beats: dict[str, int] = Field(description="Chunks per beat, by beat index.")


class ChunkingSection(Section):
    """Written by the chunker."""

    model: str | None = None
    chunk_duration_s: float | None = None
    total: int = Field(default=0, ge=0)
    beats: dict[str, int] = Field(default_factory=dict)
    done: list[str] = Field(default_factory=list, description="Chunk items the fan-in has counted.")
    chunks: dict[str, ChunkEntry] = Field(default_factory=dict, description="Stored chunks by item.")
    takes: dict[str, dict[str, ChunkEntry]] = Field(
        default_factory=dict, description="With a quality threshold: every stored take by item, then take number "
                                          "(`chunks` holds the kept one once its score let it through).")

    def take(self, item: str, take: int) -> ChunkEntry | None:
        return (self.takes.get(item) or {}).get(str(take))

    @property
    def planned(self) -> ChunkPlanRecord | None:
        if not (self.model and self.chunk_duration_s and self.total):
            return None
        return ChunkPlanRecord(model=self.model, chunk_duration_s=self.chunk_duration_s, total=self.total,
                               beats=self.beats)


class MasterSection(Section):
    """Written by the stitcher."""

    video: ArtifactRef
    music: ArtifactRef | None = None
    duration_s: float = Field(gt=0)
    frames: int = Field(ge=1)
    has_audio: bool
    music_model: str | None = None
    music_error: str | None = None
    copied_frames: int = 0
    encoded_frames: int = 0
    transition_windows: int = 0
    normalised_chunks: int = 0


class CropReport(Section):
    area_kept: float
    detail_kept: float


class ExportsSection(Section):
    """Written by the exporter."""

    renditions: list[Rendition]
    poster: ArtifactRef
    thumbnail: ArtifactRef
    spec_checks: dict[str, SpecCheck] = Field(default_factory=dict, description="By rendition name (9x16).")
    passed: bool = True
    crops: dict[str, CropReport] = Field(default_factory=dict)


class ScoreEntry(Section):
    """The scorer's verdict on one video (written by the scorer, once per video)."""

    video: ArtifactRef
    scores: QualityScores | None = None
    error: str | None = Field(default=None, description="Why it could not be scored.")
    scored_at: datetime | None = None


class QualitySection(Section):
    """Written by the scorer: one entry per scored chunk take, the master and each re-encoded rendition."""

    chunks: dict[str, dict[str, ScoreEntry]] = Field(default_factory=dict,
                                                     description="By chunk item, then take number.")
    master: ScoreEntry | None = None
    renditions: dict[str, ScoreEntry] = Field(default_factory=dict, description="By rendition name (1x1).")

    def entry(self, kind: QualityKind, item: str, take: int = 0) -> ScoreEntry | None:
        if kind == "chunk":
            return (self.chunks.get(item) or {}).get(str(take))
        return self.master if kind == "master" else self.renditions.get(item)

    @property
    def started(self) -> bool:
        """The scorer has recorded something for this generation."""
        return bool(self.chunks or self.master or self.renditions)


class ErrorInfo(Section):
    stage: Stage
    reason: str
    retryable: bool = False
    detail: str | None = None
    at: datetime | None = None


class CancelInfo(Section):
    by: str
    key_id: str | None = None


class DeletionInfo(Section):
    """The owner deleted it (DELETE /v1/generations/{id}): media and events are gone, the record stays."""

    requested_at: datetime
    by: str
    key_id: str | None = None
    objects_deleted: int = 0
    completed_at: datetime | None = Field(default=None, description="When every object was removed.")


class RetentionInfo(Section):
    """What the retention sweep removed, and its claims (one replica at a time per generation and kind)."""

    intermediates_deleted_at: datetime | None = None
    videos_deleted_at: datetime | None = None
    objects_deleted: int = 0
    claims: dict[str, datetime] = Field(default_factory=dict, description="Kind → claimed until.")


class GenerationDoc(Section):
    """One generation."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(alias="_id")
    version: int = DOCUMENT_VERSION
    owner: str
    status: Status = "queued"
    attempt: int = Field(default=0, ge=0, description="Retry round (POST …/retry).")
    created_at: datetime
    updated_at: datetime
    spec: GenerationSpec
    group_id: str | None = Field(default=None, description="Generation group (A/B variants) it belongs to.")
    request: RequestRecord = Field(default_factory=RequestRecord)
    plan: Plan | None = None
    storyboard: StoryboardSection = Field(default_factory=StoryboardSection)
    chunking: ChunkingSection = Field(default_factory=ChunkingSection)
    master: MasterSection | None = None
    exports: ExportsSection | None = None
    quality: QualitySection = Field(default_factory=QualitySection)
    costs: dict[str, CostEntry] = Field(default_factory=dict)
    total_cost_usd: float | None = None
    error: ErrorInfo | None = None
    previous_errors: list[ErrorInfo] = Field(default_factory=list)
    timeline: dict[str, datetime] = Field(default_factory=dict, description="When each status was entered.")
    cancel: CancelInfo | None = None
    deletion: DeletionInfo | None = None
    retention: RetentionInfo = Field(default_factory=RetentionInfo)

    @classmethod
    def from_mongo(cls, raw: dict[str, Any]) -> "GenerationDoc":
        """A stored document; one written before the typed model (no `version`) is migrated on the way."""
        if int(raw.get("version") or 1) < DOCUMENT_VERSION:
            raw = upgrade_v1(raw)
        return cls.model_validate(raw)

    def to_mongo(self) -> dict[str, Any]:
        return self.model_dump(mode="python", by_alias=True, exclude_none=True)

    def cost_total(self) -> float:
        return round(sum(entry.usd for entry in self.costs.values()), 6)

    def unscored(self) -> list[str]:
        """Stored videos the scorer has not scored yet: chunk takes ("chunk 1-0#0"), the master, re-encoded
        renditions (the master's own rendition is the master file, scored as the master)."""
        missing = []
        takes = {(e.item, e.take) for e in self.chunking.chunks.values()}
        takes |= {(item, int(t)) for item, by_take in self.chunking.takes.items() for t in by_take}
        missing += [f"chunk {item}#{take}" for item, take in sorted(takes)
                    if self.quality.entry("chunk", item, take) is None]
        if self.master is not None and self.quality.master is None:
            missing.append("master")
        for r in self.exports.renditions if self.exports else []:
            name = r.aspect.replace(":", "x")
            if r.method != "master" and name not in self.quality.renditions:
                missing.append(f"rendition {name}")
        return missing


def upgrade_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """A version-1 document (before the typed model) in today's shape; pure, the stored document is untouched."""
    doc = dict(raw)
    costs = doc.get("costs") or {}
    board = dict(doc.get("storyboard") or {})
    models = board.pop("models", None) or {}
    board.pop("spec", None)
    board.pop("plan", None)
    board["frames"] = {
        beat: {"image": ref, "model": models.get(beat, "unknown"),
               "cost_usd": (costs.get(f"storyboard:{beat}") or {}).get("usd", 0.0)}
        for beat, ref in (doc.pop("frames", None) or {}).items()
    }
    doc["storyboard"] = board
    chunking = dict(doc.get("chunking") or {})
    chunking.pop("spec", None)
    chunking.pop("plan", None)
    chunking["chunks"] = doc.pop("chunks", None) or {}
    doc["chunking"] = chunking
    doc["request"] = {"key_id": doc.pop("key_id", None), "idempotency_key": doc.pop("idempotency_key", None),
                      "request_hash": doc.pop("request_hash", None),
                      "published_at": doc.pop("request_published_at", None)}
    quality = doc.pop("quality", None) or {}
    if doc.get("exports"):
        doc["exports"] = {**doc["exports"], "spec_checks": quality.get("spec_checks", {}),
                          "passed": quality.get("passed", True), "crops": quality.get("crops", {})}
    doc["version"] = DOCUMENT_VERSION
    return doc

