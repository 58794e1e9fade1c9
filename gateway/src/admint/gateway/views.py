"""Generation documents → what the API shows (pure apart from the injected presign function).

Stages own their fields of the document; the view passes them through, hides the gateway's internal fields,
and adds a fresh presigned `url` beside every stored artifact, so links never depend on when a stage ran.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from admint.contracts.stages import PIPELINE

Presign = Callable[[str], Awaitable[str]]
INTERNAL_FIELDS = frozenset({"_id", "owner", "key_id", "idempotency_key", "request_hash", "request_published_at"})
_ARTIFACT_FIELDS = frozenset({"bucket", "key", "sha256", "size", "content_type"})


def links(generation_id: str, base: str = "") -> dict[str, str]:
    root = f"{base}/v1/generations/{generation_id}"
    return {"self": root, "events": f"{root}/events", "video": f"{root}/video", "cancel": f"{root}/cancel"}


def is_artifact(value: Any) -> bool:
    return isinstance(value, dict) and _ARTIFACT_FIELDS <= value.keys()


def artifact_keys(value: Any) -> set[str]:
    if is_artifact(value):
        return {str(value["key"])}
    if isinstance(value, dict):
        return set().union(*(artifact_keys(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(artifact_keys(v) for v in value)) if value else set()
    return set()


def with_urls(value: Any, urls: dict[str, str]) -> Any:
    if is_artifact(value):
        return {**value, "url": urls.get(str(value["key"]))}
    if isinstance(value, dict):
        return {k: with_urls(v, urls) for k, v in value.items()}
    if isinstance(value, list):
        return [with_urls(v, urls) for v in value]
    return value


async def presign_all(value: Any, presign: Presign) -> Any:
    keys = sorted(artifact_keys(value))
    signed = await asyncio.gather(*(presign(k) for k in keys))
    return with_urls(value, dict(zip(keys, signed, strict=True)))


def current_stage(doc: dict[str, Any]) -> str | None:
    status = str(doc.get("status", ""))
    if status in PIPELINE.stage_of_status:
        return PIPELINE.stage_of_status[status]
    if status in ("failed",) and isinstance(doc.get("error"), dict):
        return doc["error"].get("stage")
    return None


def cost_summary(costs: Any) -> dict[str, Any]:
    entries = [dict(v, key=v.get("key", k)) for k, v in sorted((costs or {}).items()) if isinstance(v, dict)]
    total = round(sum(float(e.get("usd", 0) or 0) for e in entries), 6)
    return {"total_usd": total, "entries": entries}


def _index(key: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(key).split("-"))
    except ValueError:
        return (1 << 30,)


def frames_list(frames: Any) -> Any:
    """frames.<beat> → [{beat_index, image}] in beat order (a map in the document, for idempotent $set)."""
    if not isinstance(frames, dict):
        return frames
    return [{"beat_index": _index(k)[0], "image": v} for k, v in sorted(frames.items(), key=lambda kv: _index(kv[0]))]


def chunks_list(chunks: Any) -> Any:
    """chunks.<beat>-<chunk> → a list in (beat, chunk) order."""
    if not isinstance(chunks, dict):
        return chunks
    return [v for _, v in sorted(chunks.items(), key=lambda kv: _index(kv[0]))]


def promote_exports(view: dict[str, Any], expires_at: datetime | None) -> None:
    """The exporter's `exports`/`quality` → top-level renditions (fresh links), poster, thumbnail, spec_check."""
    exports = view.pop("exports", None)
    if isinstance(exports, dict):
        renditions = exports.get("renditions") or []
        for rendition in renditions:
            video = rendition.get("video") if isinstance(rendition, dict) else None
            if isinstance(video, dict) and video.get("url"):
                rendition["url"] = video["url"]
                if expires_at is not None:
                    rendition["url_expires_at"] = expires_at
        view["renditions"] = renditions
        view["poster"] = exports.get("poster")
        view["thumbnail"] = exports.get("thumbnail")
    if "quality" in view:
        view["spec_check"] = view.pop("quality")


async def generation_view(doc: dict[str, Any], presign: Presign, base: str = "",
                          expires_at: datetime | None = None) -> dict[str, Any]:
    visible = {k: v for k, v in doc.items() if k not in INTERNAL_FIELDS}
    visible = await presign_all(visible, presign)
    gid = str(doc["_id"])
    promote_exports(visible, expires_at)
    visible.update(
        id=gid,
        stage=current_stage(doc),
        frames=frames_list(visible.get("frames")),
        chunks=chunks_list(visible.get("chunks")),
        costs=cost_summary(doc.get("costs")),
        links=links(gid, base),
    )
    return visible


def generation_summary(doc: dict[str, Any], base: str = "") -> dict[str, Any]:
    spec = doc.get("spec") or {}
    gid = str(doc["_id"])
    return {
        "id": gid,
        "status": doc.get("status"),
        "stage": current_stage(doc),
        "created_at": doc.get("created_at"),
        "updated_at": doc.get("updated_at"),
        "brief": str(spec.get("brief", ""))[:200],
        "duration_s": spec.get("duration_s", 0),
        "aspect": spec.get("aspect", ""),
        "links": links(gid, base),
    }
