"""Deterministic object keys (DESIGN.md §4): re-running a step overwrites, never duplicates."""


def generation_prefix(generation_id: str) -> str:
    return f"generations/{generation_id}/"


def version_prefix(generation_id: str, version: int = 1) -> str:
    """Where a version's own objects live: version 1 at the generation's root, version N under v<N>/."""
    return f"generations/{generation_id}/" + (f"v{version}/" if version > 1 else "")


def _take(take: int) -> str:
    """Re-renders of a chunk (quality threshold) are kept beside the first: 1-0.t1.mp4, 1-0.t2.mp4 … (a beat's
    frame takes are numbered the same way)."""
    return f".t{take}" if take else ""




def storyboard_key(generation_id: str, beat: int, take: int = 0) -> str:
    """A beat's frame; a later take (a regeneration) gets its own key, so every take stays stored."""
    return f"generations/{generation_id}/storyboard/{beat}{_take(take)}.png"


def mood_key(generation_id: str, board: int, image: int) -> str:
    return f"generations/{generation_id}/moods/{board}-{image}.png"


def chunk_key(generation_id: str, beat: int, chunk: int, *, version: int = 1, take: int = 0) -> str:
    return f"{version_prefix(generation_id, version)}chunks/{beat}-{chunk}{_take(take)}.mp4"


def last_frame_key(generation_id: str, beat: int, chunk: int, *, version: int = 1, take: int = 0) -> str:
    return f"{version_prefix(generation_id, version)}chunks/{beat}-{chunk}{_take(take)}.last.png"


def music_key(generation_id: str, version: int = 1) -> str:
    return f"{version_prefix(generation_id, version)}music.m4a"


def master_key(generation_id: str, version: int = 1) -> str:
    return f"{version_prefix(generation_id, version)}master.mp4"


def cost_key(key: str, version: int = 1) -> str:
    """A cost entry's key in a version (version 1's keys are unprefixed, as they always were)."""
    return f"v{version}:{key}" if version > 1 else key


def rendition_name(aspect: str) -> str:
    """9:16 → 9x16 (colons are awkward in URLs and file names)."""
    return aspect.replace(":", "x")


def export_key(generation_id: str, aspect: str, version: int = 1) -> str:
    return f"{version_prefix(generation_id, version)}exports/{rendition_name(aspect)}.mp4"


def poster_key(generation_id: str, version: int = 1) -> str:
    return f"{version_prefix(generation_id, version)}exports/poster.jpg"


def thumbnail_key(generation_id: str, version: int = 1) -> str:
    return f"{version_prefix(generation_id, version)}exports/thumbnail.jpg"


def shared_frame_prefix(group_id: str, fingerprint: str) -> str:
    """Storyboard frames members of a generation group share, by the fingerprint of what makes the frame."""
    return f"groups/{group_id}/frames/{fingerprint}/"


def shared_frame_key(group_id: str, fingerprint: str, source_generation_id: str) -> str:
    """The shared copy of a frame, named after the member that rendered it."""
    return f"{shared_frame_prefix(group_id, fingerprint)}{source_generation_id}.png"


def asset_prefix(owner: str, asset_id: str) -> str:
    return f"assets/{owner}/{asset_id}/"


def asset_key(owner: str, asset_id: str, name: str) -> str:
    return f"assets/{owner}/{asset_id}/{name}"
