"""Deterministic object keys (DESIGN.md §4): re-running a step overwrites, never duplicates."""


def generation_prefix(generation_id: str) -> str:
    return f"generations/{generation_id}/"


def storyboard_key(generation_id: str, beat: int) -> str:
    return f"generations/{generation_id}/storyboard/{beat}.png"


def _take(take: int) -> str:
    """Re-renders of a chunk (quality threshold) are kept beside the first: 1-0.t1.mp4, 1-0.t2.mp4 …"""
    return f".t{take}" if take else ""


def chunk_key(generation_id: str, beat: int, chunk: int, take: int = 0) -> str:
    return f"generations/{generation_id}/chunks/{beat}-{chunk}{_take(take)}.mp4"


def last_frame_key(generation_id: str, beat: int, chunk: int, take: int = 0) -> str:
    return f"generations/{generation_id}/chunks/{beat}-{chunk}{_take(take)}.last.png"


def music_key(generation_id: str) -> str:
    return f"generations/{generation_id}/music.m4a"


def master_key(generation_id: str) -> str:
    return f"generations/{generation_id}/master.mp4"


def rendition_name(aspect: str) -> str:
    """9:16 → 9x16 (colons are awkward in URLs and file names)."""
    return aspect.replace(":", "x")


def export_key(generation_id: str, aspect: str) -> str:
    return f"generations/{generation_id}/exports/{rendition_name(aspect)}.mp4"


def poster_key(generation_id: str) -> str:
    return f"generations/{generation_id}/exports/poster.jpg"


def thumbnail_key(generation_id: str) -> str:
    return f"generations/{generation_id}/exports/thumbnail.jpg"


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
