"""Which stored object is the video of a rendition (pure): what the exporter recorded, else the conventional keys."""

from admint.core.document import GenerationDoc
from admint.core.keys import export_key, master_key


def normalize_aspect(value: str) -> str:
    """9x16, 9:16 and 9-16 all name the same rendition."""
    return value.strip().replace("x", ":").replace("X", ":").replace("-", ":")


def available_aspects(doc: GenerationDoc) -> list[str]:
    """The master's aspect first, then the extra renditions asked for."""
    return [doc.spec.aspect, *doc.spec.renditions]


def find_rendition_key(doc: GenerationDoc, aspect: str, version: int = 1) -> list[str]:
    """Candidate object keys for `aspect` (of a version of the ad), best first, de-duplicated."""
    if version > 1:
        section = doc.ad_version(version)
        exports = section.exports if section is not None else None
        found = [r.video.key for r in (exports.renditions if exports else []) if r.aspect == aspect]
        if aspect == doc.spec.aspect and section is not None and section.master is not None:
            found.append(section.master.video.key)
        return list(dict.fromkeys([*found, export_key(doc.id, aspect, version)]))
    candidates = [r.video.key for r in (doc.exports.renditions if doc.exports else []) if r.aspect == aspect]
    candidates.append(export_key(doc.id, aspect))
    if aspect == doc.spec.aspect:
        if doc.master is not None:
            candidates.append(doc.master.video.key)
        candidates.append(master_key(doc.id))
    return list(dict.fromkeys(candidates))
