"""The generation document: one pydantic model per section, the only shape of `generations` in MongoDB.

Each service writes only its own sections, through the typed methods of `GenerationStore` (docstore.py); readers
get a `GenerationDoc`, never a dict. Spec and plan are stored once. Sections ignore unknown fields, so a document
written by a newer service still reads in an older one during a rolling deploy; documents written before the
typed model (version 1: frames and chunks at the top level, spec and plan copied into the stage sections) are
migrated on read (`upgrade_v1`).
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.beats import BeatState
from admint.contracts.common import CostEntry
from admint.contracts.export import Rendition, SpecCheck
from admint.contracts.feedback import FeedbackIntent, PlanEditProblem
from admint.contracts.generation import GenerationSpec
from admint.contracts.interactive import BeatRedo, RegenerateAsk
from admint.contracts.plan import MusicSpec, Plan, Style
from admint.contracts.quality import QualityKind, QualityScores
from admint.contracts.stages import Checkpoint, Stage, Status

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
    take: int = Field(default=0, ge=0, description="Take of the beat's frame (0: the first render).")
    seed: int | None = Field(default=None, description="Seed of a later take (None: the generation's).")


class StoryboardSection(Section):
    """Written by the storyboard service."""

    image_model: str | None = Field(default=None, description="Image model of this replica at fan-out.")
    total: int = Field(default=0, description="Frames to render (one per beat).", ge=0)
    done: list[int] = Field(default_factory=list, description="Beats whose frame the fan-in has counted.")
    frames: dict[str, FrameEntry] = Field(default_factory=dict, description="Current frame by beat index.")
    takes: dict[str, dict[str, FrameEntry]] = Field(
        default_factory=dict, description="Later takes by beat, then take number (every one stays listed)."
    )

    def frame(self, beat: int) -> FrameEntry | None:
        return self.frames.get(str(beat))

    def take(self, beat: int, take: int) -> FrameEntry | None:
        """A beat's frame of one take (take 0: the first render, unless a later take replaced it as current)."""
        found = (self.takes.get(str(beat)) or {}).get(str(take))
        if found is None and (current := self.frame(beat)) is not None and current.take == take:
            return current
        return found


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


class WindowRecord(Section):
    """Where one re-encoded transition window sits in a master, and what it was made from (its fingerprint), so a
    later version whose window has the same inputs copies it from this master instead of encoding it again."""

    fingerprint: str
    start: int = Field(ge=0, description="First frame of the window in the master.")
    frames: int = Field(ge=1)


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
    reused_windows: int = 0
    windows: list[WindowRecord] = Field(default_factory=list)


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
class ApprovalRecord(Section):
    """Who approved a checkpoint, when (and which mood board, at the moods checkpoint)."""

    at: datetime
    by: str
    mood: int | None = None


class MoodBoardRecord(Section):
    """One stored mood board: the look it stands for and its four images."""

    index: int = Field(ge=1)
    name: str
    style: Style
    music: MusicSpec
    images: list[ArtifactRef]


class MoodsSection(Section):
    """Written by the storyboard (the boards) and the gateway (the choice)."""

    model: str | None = None
    boards: list[MoodBoardRecord] = Field(default_factory=list)
    chosen: int | None = None

    def board(self, index: int) -> MoodBoardRecord | None:
        return next((b for b in self.boards if b.index == index), None)


class BeatRecord(Section):
    """One beat's card: its state in the beat state machine (contracts/beats.py) and the take it is about."""

    state: BeatState = "planned"
    take: int = Field(default=0, ge=0)
    version: int = Field(default=1, ge=1)
    seed: int | None = None
    video_seed: int | None = Field(default=None, description="Seed its video was last rendered with (None: spec).")
    reason: str | None = None
    updated_at: datetime | None = None


FeedbackState = Literal["interpreting", "interpreted", "applied", "failed"]


class FeedbackRecord(Section):
    """One feedback message and what became of it: interpreted (shown to the owner), then applied or not."""

    id: str
    message: str
    beat: int | None = None
    at: datetime
    by: str
    state: FeedbackState = "interpreting"
    plan_rev: int = 0
    regenerate: RegenerateAsk | None = None
    intent: FeedbackIntent | None = None
    problems: list[PlanEditProblem] = Field(default_factory=list)
    applied_at: datetime | None = None
    error: str | None = None


VersionState = Literal["rendering", "completed", "failed"]


class VersionSection(Section):
    """A version of the ad after the first: its plan, what it renders again, and its own chunks, master, exports."""

    number: int = Field(ge=2)
    state: VersionState = "rendering"
    base: int = Field(ge=1, description="Version whose other beats, windows and music it reuses.")
    plan: Plan
    beats: list[BeatRedo]
    reason: str = ""
    by: str = ""
    requested_at: datetime
    completed_at: datetime | None = None
    frames: dict[str, FrameEntry] = Field(default_factory=dict, description="Frame of every beat in this version.")
    frames_done: list[int] = Field(default_factory=list)
    chunking: ChunkingSection = Field(default_factory=lambda: ChunkingSection())
    master: MasterSection | None = None
    exports: ExportsSection | None = None
    error: ErrorInfo | None = None
    cost_usd: float | None = None

    def redo(self, beat: int) -> BeatRedo | None:
        return next((b for b in self.beats if b.index == beat), None)


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
    budget_reserved: dict[str, float] = Field(
        default_factory=dict, description="Price of each priced call allowed under max_cost_usd, by cost key, "
                                          "from before it is made (core/budget.py).")
    budget_committed_usd: float = Field(default=0.0, description="Sum of budget_reserved (moved by compare-and-set).")
    total_cost_usd: float | None = None
    error: ErrorInfo | None = None
    previous_errors: list[ErrorInfo] = Field(default_factory=list)
    timeline: dict[str, datetime] = Field(default_factory=dict, description="When each status was entered.")
    cancel: CancelInfo | None = None
    deletion: DeletionInfo | None = None
    retention: RetentionInfo = Field(default_factory=RetentionInfo)
    checkpoint: Checkpoint | None = Field(default=None, description="Where an awaiting_approval generation waits.")
    waiting_since: datetime | None = Field(default=None, description="Since when (renewed by every action there).")
    approvals: dict[str, ApprovalRecord] = Field(default_factory=dict)
    moods: MoodsSection | None = None
    beats: dict[str, BeatRecord] = Field(default_factory=dict, description="Beat cards by beat index.")
    beat_styles: dict[str, Style] = Field(
        default_factory=dict, description="A beat's own look (e.g. 'beat 1 warmer'), instead of the plan's style."
    )
    feedback: dict[str, FeedbackRecord] = Field(default_factory=dict)
    plan_rev: int = Field(default=0, ge=0, description="Plan revision: +1 per change after planning.")
    ad_versions: dict[str, VersionSection] = Field(default_factory=dict, description="Versions after the first.")
    latest_version: int = Field(default=1, ge=1, description="Newest completed version (the default download).")
    rendering_version: int = Field(default=0, ge=0, description="Version being rendered now (0: none).")

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
    def ad_version(self, number: int) -> VersionSection | None:
        return self.ad_versions.get(str(number))

    def chunking_of(self, version: int) -> ChunkingSection:
        """The chunking section of a version (the top-level one is version 1's)."""
        if version <= 1:
            return self.chunking
        section = self.ad_version(version)
        return section.chunking if section is not None else ChunkingSection()

    def beat(self, index: int) -> BeatRecord | None:
        return self.beats.get(str(index))

    def style_of(self, beat: int) -> Style | None:
        """The look a beat's frame is rendered with: its own, else the plan's."""
        own = self.beat_styles.get(str(beat))
        return own if own is not None else (self.plan.style if self.plan else None)

    def version_cost(self, number: int) -> float:
        """What one version cost: version 1 everything not priced for a later version, a later one its own."""
        prefix = f"v{number}:"
        if number <= 1:
            later = tuple(f"v{n}:" for n in self.ad_versions)
            return round(sum(e.usd for k, e in self.costs.items() if not k.startswith(later)), 6) if later \
                else self.cost_total()
        return round(sum(e.usd for k, e in self.costs.items() if k.startswith(prefix)), 6)


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

