"""The storage ports handlers depend on. Real adapters: docstore.GenerationRepository, blobstore.BlobStore.

Unit tests use in-memory fakes of these (tests/support/fakes.py); integration tests the real servers.
"""

from pathlib import Path
from typing import Any, Protocol

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CostEntry


class GenerationStore(Protocol):
    async def create(self, generation_id: str, doc: dict[str, Any]) -> bool:
        """Insert a new generation document (status queued); False when the id exists already."""
        ...

    async def get(self, generation_id: str) -> dict[str, Any] | None: ...

    async def advance(self, generation_id: str, status: str, fields: dict[str, Any] | None = None) -> bool:
        """Move status forward (never backwards, never out of a terminal status) and $set fields with it.

        Returns False (and writes nothing) when the move would go backwards or the generation is terminal.
        Moving to the current status again is allowed: it re-applies `fields` (idempotent redelivery).
        """
        ...

    async def set_fields(self, generation_id: str, fields: dict[str, Any]) -> None:
        """Idempotent $set of a stage's own fields; dotted paths allowed (e.g. "chunks.2-0")."""
        ...

    async def add_to_set(self, generation_id: str, field: str, value: Any) -> int:
        """$addToSet value into an array field; returns the array's size after the update (fan-in counting)."""
        ...

    async def record_cost(self, generation_id: str, entry: CostEntry) -> None:
        """Set costs.<entry.key> (a re-run overwrites the same entry, so costs never double)."""
        ...

    async def fail(
        self,
        generation_id: str,
        stage: str,
        reason: str,
        *,
        retryable: bool = False,
        detail: str | None = None,
    ) -> bool:
        """Move to failed with the error recorded; False when already terminal."""
        ...

    async def status(self, generation_id: str) -> str | None:
        """Current status, None when there is no such generation."""
        ...


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
