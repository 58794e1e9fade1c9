"""In-memory fakes of our own storage ports, for unit tests of handlers (never of NATS/Mongo/S3 themselves)."""

import copy
import hashlib
from pathlib import Path
from typing import Any

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CostEntry
from admint.contracts.stages import PIPELINE


def _set_path(doc: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = copy.deepcopy(value)


def _get_path(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class FakeGenerationStore:
    """Same semantics as docstore.GenerationRepository, in a dict."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def create(self, generation_id: str, doc: dict[str, Any]) -> bool:
        if generation_id in self.docs:
            return False
        self.docs[generation_id] = {"_id": generation_id, "status": "queued", **copy.deepcopy(doc)}
        return True

    async def get(self, generation_id: str) -> dict[str, Any] | None:
        doc = self.docs.get(generation_id)
        return copy.deepcopy(doc) if doc is not None else None

    async def advance(self, generation_id: str, status: str, fields: dict[str, Any] | None = None) -> bool:
        doc = self.docs.get(generation_id)
        if doc is None or doc["status"] not in PIPELINE.statuses_before(status):
            return False
        doc["status"] = status
        for key, value in (fields or {}).items():
            _set_path(doc, key, value)
        return True

    async def set_fields(self, generation_id: str, fields: dict[str, Any]) -> None:
        doc = self.docs.setdefault(generation_id, {"_id": generation_id, "status": "queued"})
        for key, value in fields.items():
            _set_path(doc, key, value)

    async def add_to_set(self, generation_id: str, field: str, value: Any) -> int:
        doc = self.docs.setdefault(generation_id, {"_id": generation_id, "status": "queued"})
        current = _get_path(doc, field)
        if current is None:
            current = []
            _set_path(doc, field, current)
            current = _get_path(doc, field)
        if value not in current:
            current.append(copy.deepcopy(value))
        return len(current)

    async def record_cost(self, generation_id: str, entry: CostEntry) -> None:
        await self.set_fields(generation_id, {f"costs.{entry.key.replace('.', '_')}": entry.model_dump()})

    async def fail(
        self,
        generation_id: str,
        stage: str,
        reason: str,
        *,
        retryable: bool = False,
        detail: str | None = None,
    ) -> bool:
        doc = self.docs.get(generation_id)
        if doc is None or doc["status"] in PIPELINE.terminal:
            return False
        doc["status"] = "failed"
        doc["error"] = {"stage": stage, "reason": reason, "retryable": retryable, "detail": detail}
        return True

    async def status(self, generation_id: str) -> str | None:
        doc = self.docs.get(generation_id)
        return doc["status"] if doc else None


class FakeObjectStore:
    """Objects in a dict; ArtifactRefs computed like the real store."""

    def __init__(self, bucket: str = "admint") -> None:
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.puts = 0

    def _ref(self, key: str, data: bytes, content_type: str) -> ArtifactRef:
        return ArtifactRef(
            bucket=self.bucket,
            key=key,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content_type=content_type,
        )

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> ArtifactRef:
        self.objects[key] = (bytes(data), content_type)
        self.puts += 1
        return self._ref(key, data, content_type)

    async def put_file(self, key: str, path: Path, content_type: str) -> ArtifactRef:
        return await self.put_bytes(key, Path(path).read_bytes(), content_type)

    async def get_bytes(self, key: str) -> bytes:
        try:
            return self.objects[key][0]
        except KeyError:
            raise FileNotFoundError(key) from None

    async def get_file(self, key: str, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(await self.get_bytes(key))
        return path

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def presign_get(self, key: str, expiry_s: int | None = None) -> str:
        return f"http://fake-s3/{self.bucket}/{key}?expires={expiry_s or 3600}"

    async def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)
