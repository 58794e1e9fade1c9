"""The storage ports handlers depend on. Real adapters: docstore.GenerationRepository, blobstore.BlobStore.

Unit tests use in-memory fakes of these (tests/support/fakes.py); integration tests the real servers.
"""

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CostEntry
from admint.contracts.feedback import FeedbackIntent, PlanEditProblem
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.contracts.quality import QualityKind
from admint.contracts.stages import Stage
from admint.core.document import (
    ApprovalRecord,
    CancelInfo,
    ChunkEntry,
    ChunkPlanRecord,
    ExportsSection,
    FeedbackRecord,
    FrameEntry,
    GenerationDoc,
    MasterSection,
    MoodsSection,
    ScoreEntry,
    VersionSection,
)


class GenerationStore(Protocol):
    """The generation documents, one typed method per thing a stage records."""

    async def get(self, generation_id: str) -> GenerationDoc | None: ...

    async def status(self, generation_id: str) -> str | None:
        """Current status, None when there is no such generation."""
        ...

    async def spec(self, generation_id: str) -> GenerationSpec | None:
        """What was asked (the document's spec alone), None when there is no such generation."""
        ...

    async def stuck(self, status: str, older_than: datetime, limit: int = 100) -> list[str]: ...

    async def quiet(self, status: str, older_than: datetime, limit: int = 100) -> list[str]:
        """Generations in `status` not written since `older_than`."""
        ...

    async def create(self, doc: GenerationDoc) -> bool:
        """Insert a new generation document (status queued); False when the id exists already."""
        ...

    async def enter(self, generation_id: str, status: str, sets: dict[str, Any] | None = None) -> bool:
        """Move status forward (idempotently); False when that would go backwards or it is terminal."""
        ...

    async def fail(self, generation_id: str, stage: Stage, reason: str, *, retryable: bool = False,
                   detail: str | None = None) -> bool:
        """Move to failed with the error recorded; False when already terminal."""
        ...

    async def cancel(self, generation_id: str, by: CancelInfo) -> bool: ...

    async def reopen(self, generation_id: str, status: str) -> int | None: ...

    async def record_cost(self, generation_id: str, entry: CostEntry) -> None:
        """Set costs.<entry.key> (a re-run overwrites the same entry, so costs never double)."""
        ...

    async def reserve_cost(self, generation_id: str, field: str, usd: float, ceiling: float) -> bool:
        """Reserve a priced call under max_cost_usd unless the reserved sum would pass `ceiling` (core/budget.py)."""
        ...

    async def mark_published(self, generation_id: str) -> None: ...

    async def store_plan(self, generation_id: str, plan: Plan) -> bool: ...

    async def start_storyboard(self, generation_id: str, total: int, image_model: str) -> bool: ...

    async def record_frame(self, generation_id: str, beat: int, frame: FrameEntry) -> None: ...

    async def frame_done(self, generation_id: str, beat: int, frame: FrameEntry) -> tuple[int, GenerationDoc]:
        """Record the frame and count it in the fan-in (atomically); returns the count and the document as that
        update left it."""
        ...

    async def start_chunking(self, generation_id: str, planned: ChunkPlanRecord, version: int = 1) -> bool: ...

    async def record_chunk(self, generation_id: str, chunk: ChunkEntry, version: int = 1) -> None: ...

    async def chunk_done(self, generation_id: str, chunk: ChunkEntry,
                         version: int = 1) -> tuple[int, GenerationDoc]:
        """Record the chunk and count it in the fan-in (atomically); returns the count and the document as that
        update left it."""
        ...

    async def record_take(self, generation_id: str, chunk: ChunkEntry) -> None:
        """List one stored take of a chunk (quality threshold set), whatever happens next."""
        ...

    async def record_master(self, generation_id: str, master: MasterSection) -> bool: ...

    async def record_exports(self, generation_id: str, exports: ExportsSection) -> None: ...

    async def complete(self, generation_id: str, total_cost_usd: float) -> bool: ...

    async def record_score(self, generation_id: str, kind: QualityKind, item: str, take: int,
                           entry: ScoreEntry) -> None:
        """The scorer's verdict on one video (a chunk take, the master, a rendition); a re-score overwrites."""
        ...
    # interactive: checkpoints, plan changes, beat cards, feedback, versions (docstore.py says what each does)

    async def wait_at(self, generation_id: str, checkpoint: str, sets: dict[str, Any] | None = None) -> bool: ...

    async def approve(self, generation_id: str, checkpoint: str, record: ApprovalRecord, *,
                      next_checkpoint: str | None, next_status: str | None, beats: int = 0,
                      sets: dict[str, Any] | None = None) -> bool: ...

    async def waiting_too_long(self, older_than: datetime, limit: int = 100) -> list[str]: ...

    async def expire(self, generation_id: str, checkpoint: str, reason: str) -> bool: ...

    async def renew_wait(self, generation_id: str) -> None: ...

    async def record_moods(self, generation_id: str, moods: MoodsSection) -> None: ...

    async def change_plan(self, generation_id: str, plan: Plan, expect_rev: int, where: dict[str, Any],
                          sets: dict[str, Any] | None = None) -> bool: ...

    async def move_beat(self, generation_id: str, beat: int, state: str, *, take: int | None = None,
                        version: int | None = None, seed: int | None = None, reason: str | None = None,
                        expect_take: int | None = None) -> bool: ...

    async def plan_beats(self, generation_id: str, count: int) -> None: ...

    async def start_take(self, generation_id: str, beat: int, take: int, *, seed: int | None,
                         where: dict[str, Any], version: int | None = None) -> bool: ...

    async def record_frame_take(self, generation_id: str, beat: int, frame: FrameEntry) -> None: ...

    async def use_take(self, generation_id: str, beat: int, frame: FrameEntry) -> bool: ...

    async def add_feedback(self, generation_id: str, record: FeedbackRecord) -> bool: ...

    async def interpreted(self, generation_id: str, feedback_id: str, intent: FeedbackIntent,
                          problems: list[PlanEditProblem], *, applied: bool = False) -> bool: ...

    async def feedback_applied(self, generation_id: str, feedback_id: str, *, failed: str | None = None) -> bool: ...

    async def open_version(self, generation_id: str, version: VersionSection, plan_rev: int,
                           sets: dict[str, Any] | None = None) -> bool: ...

    async def version_frame_done(self, generation_id: str, version: int, beat: int, frame: FrameEntry) -> int: ...

    async def record_version_master(self, generation_id: str, version: int, master: MasterSection) -> bool: ...

    async def record_version_exports(self, generation_id: str, version: int, exports: ExportsSection) -> None: ...

    async def complete_version(self, generation_id: str, version: int, cost_usd: float) -> bool: ...

    async def fail_version(self, generation_id: str, version: int, stage: Stage, reason: str, *,
                           retryable: bool = False, detail: str | None = None) -> bool: ...

    async def versions_rendering_since(self, older_than: datetime, limit: int = 100) -> list[tuple[str, int]]: ...


class ObjectStore(Protocol):
    bucket: str

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> ArtifactRef: ...

    async def put_file(self, key: str, path: Path, content_type: str) -> ArtifactRef: ...

    async def get_bytes(self, key: str) -> bytes: ...

    async def get_file(self, key: str, path: Path) -> Path: ...

    async def exists(self, key: str) -> bool: ...

    async def presign_get(self, key: str, expiry_s: int | None = None) -> str: ...

    async def list_keys(self, prefix: str) -> list[str]: ...

    async def delete(self, key: str) -> None: ...
