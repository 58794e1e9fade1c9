"""Which stored object is the video of a rendition (pure): what the exporter recorded, else the conventional keys."""

from typing import Any

from admint.core.keys import export_key, master_key, rendition_name


def normalize_aspect(value: str) -> str:
    """9x16, 9:16 and 9-16 all name the same rendition."""
    return value.strip().replace("x", ":").replace("X", ":").replace("-", ":")


def _video_key(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    video = entry.get("video", entry)
    return str(video["key"]) if isinstance(video, dict) and "key" in video else None


def find_rendition_key(doc: dict[str, Any], aspect: str) -> list[str]:
    """Candidate object keys for `aspect`, best first, de-duplicated."""
    candidates: list[str] = []
    exports = doc.get("exports")
    nested = exports.get("renditions") if isinstance(exports, dict) else None
    for recorded in (nested, doc.get("renditions"), exports):
        if isinstance(recorded, list):
            for entry in recorded:
                if isinstance(entry, dict) and entry.get("aspect") == aspect and (key := _video_key(entry)):
                    candidates.append(key)
        elif isinstance(recorded, dict):
            for name in (aspect, rendition_name(aspect)):
                if key := _video_key(recorded.get(name)):
                    candidates.append(key)
    gid = str(doc["_id"])
    candidates.append(export_key(gid, aspect))
    if aspect == (doc.get("spec") or {}).get("aspect"):
        candidates.append(master_key(gid))
    return list(dict.fromkeys(candidates))
