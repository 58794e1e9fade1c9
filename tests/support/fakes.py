"""In-memory fakes of our own storage ports, for unit tests of handlers (never of NATS/Mongo/S3 themselves).

The generation store fake is the real repository with its four storage primitives done in a dict, so the typed
methods (and their field paths) run in unit tests exactly as against MongoDB.
"""

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

from admint.contracts.artifacts import ArtifactRef
from admint.core.docstore import GenerationRepository, _aware, now


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


_MISSING = object()


def _matches(doc: dict[str, Any], where: dict[str, Any]) -> bool:
    """MongoDB query semantics for what the repository asks: equality, $in, $nin, $exists, $gt, $or (a missing
    field matches None, as in MongoDB)."""
    for path, wanted in where.items():
        if path == "$or":
            if not any(_matches(doc, alternative) for alternative in wanted):
                return False
            continue
        value = _get_path(doc, path) if _has_path(doc, path) else _MISSING
        if isinstance(wanted, dict) and wanted and all(k.startswith("$") for k in wanted):
            for op, arg in wanted.items():
                present = None if value is _MISSING else value
                if op == "$in" and present not in arg:
                    return False
                if op == "$nin" and present in arg:
                    return False
                if op == "$exists" and (value is not _MISSING) != bool(arg):
                    return False
                if op == "$gt" and (value is _MISSING or value is None or not value > arg):
                    return False
        elif (None if value is _MISSING else value) != wanted:
            return False
    return True


def _has_path(doc: dict[str, Any], dotted: str) -> bool:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


class FakeGenerationStore(GenerationRepository):
    """Same semantics as docstore.GenerationRepository, documents in a dict (raw, as MongoDB would hold them)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def _insert(self, raw: dict[str, Any]) -> bool:
        if raw["_id"] in self.docs:
            return False
        self.docs[raw["_id"]] = copy.deepcopy(raw)
        return True

    async def _find(self, generation_id: str, fields: list[str] | None = None) -> dict[str, Any] | None:
        doc = self.docs.get(generation_id)
        return copy.deepcopy(doc) if doc is not None else None

    async def _update(self, generation_id: str, sets: dict[str, Any], *, first: dict[str, Any] | None = None,
                      statuses: list[str] | None = None) -> bool:
        doc = self.docs.get(generation_id)
        if doc is None or (statuses is not None and doc.get("status") not in statuses):
            return False
        for key, value in {**sets, "updated_at": now()}.items():
            _set_path(doc, key, value)
        for key, value in (first or {}).items():
            current = _get_path(doc, key)
            if current is None or value < current:
                _set_path(doc, key, value)
        return True

    async def _update_where(self, generation_id: str, where: dict[str, Any], sets: dict[str, Any], *,
                            first: dict[str, Any] | None = None) -> bool:
        doc = self.docs.get(generation_id)
        if doc is None or not _matches(doc, where):
            return False
        return await self._update(generation_id, sets, first=first)

    async def _add_to_set(self, generation_id: str, field: str, value: Any, sets: dict[str, Any], *,
                          whole: bool = False) -> dict[str, Any]:
        if generation_id not in self.docs:
            raise KeyError(f"generation {generation_id} does not exist")
        await self._update(generation_id, sets)
        doc = self.docs[generation_id]
        members = _get_path(doc, field)
        if members is None:
            _set_path(doc, field, [])
            members = _get_path(doc, field)
        if value not in members:
            members.append(copy.deepcopy(value))
        return copy.deepcopy(doc)

    async def stuck(self, status: str, older_than: datetime, limit: int = 100) -> list[str]:
        return [gid for gid, doc in self.docs.items()
                if doc.get("status") == status and (doc.get("timeline") or {}).get(status, older_than) < older_than]

    async def quiet(self, status: str, older_than: datetime, limit: int = 100) -> list[str]:
        return [gid for gid, doc in self.docs.items()
                if doc.get("status") == status and doc.get("updated_at", older_than) < older_than]
    async def waiting_too_long(self, older_than: datetime, limit: int = 100) -> list[str]:
        return [gid for gid, doc in self.docs.items()
                if doc.get("status") == "awaiting_approval" and doc.get("waiting_since", older_than) < older_than]

    async def versions_rendering_since(self, older_than: datetime, limit: int = 100) -> list[tuple[str, int]]:
        found = []
        for gid, doc in self.docs.items():
            n = int(doc.get("rendering_version") or 0)
            started = ((doc.get("ad_versions") or {}).get(str(n)) or {}).get("requested_at")
            if doc.get("status") == "completed" and n and started is not None and _aware(started) < older_than:
                found.append((gid, n))
        return found

    async def reopen(self, generation_id: str, status: str) -> int | None:
        doc = self.docs.get(generation_id)
        if doc is None or doc.get("status") != "failed":
            return None
        doc.setdefault("previous_errors", []).append(doc.pop("error", None) or {})
        doc["attempt"] = int(doc.get("attempt", 0)) + 1
        doc["status"] = status
        doc.setdefault("timeline", {})[status] = now()
        return int(doc["attempt"])


class FakeObjectStore:
    """Objects in a dict; ArtifactRefs computed like the real store."""

    def __init__(self, bucket: str = "admint") -> None:
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.puts = 0

    def _ref(self, key: str, data: bytes, content_type: str) -> ArtifactRef:
        return ArtifactRef.of_bytes(self.bucket, key, data, content_type)

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
