"""A generation with every section written, and the internal bookkeeping around it (for the view's tests, unit
and integration)."""

from typing import Any

from admint.contracts.common import CostEntry
from admint.contracts.export import Rendition, SpecCheck
from admint.core.document import (
    CancelInfo,
    ChunkEntry,
    ChunkingSection,
    CropReport,
    ErrorInfo,
    ExportsSection,
    FrameEntry,
    GenerationDoc,
    MasterSection,
    RequestRecord,
    StoryboardSection,
)
from tests.support import builders


def frame(key: str) -> FrameEntry:
    return FrameEntry(image=builders.ref(key, "image/png"), model="offline-image", cost_usd=0.003)


def chunk(gid: str, beat: int, index: int) -> ChunkEntry:
    return ChunkEntry(beat_index=beat, chunk_index=index, chunk_count=2, duration_s=5.0, requested_duration_s=5.0,
                      model="offline-video", video=builders.ref(f"generations/{gid}/chunks/{beat}-{index}.mp4"),
                      last_frame=builders.ref(f"generations/{gid}/chunks/{beat}-{index}.last.png", "image/png"))


CHECK = SpecCheck(passed=True, codec="h264", profile="High", pix_fmt="yuv420p", width=1080, height=1920, fps=30.0,
                  duration_s=15.0, faststart=True, has_audio=True)


def completed(gid: str = "G1", *, owner: str = "acme", rendition_key: str | None = None) -> GenerationDoc:
    """A finished generation with every section written (and the internal bookkeeping around it)."""
    rendition = Rendition(aspect="9:16", size=builders.spec().size, method="master",
                          video=builders.ref(rendition_key or f"generations/{gid}/exports/9x16.mp4"),
                          url="http://stale", url_expires_at=builders.WHEN, spec_check=CHECK)
    return builders.generation(
        gid, owner=owner, status="completed", attempt=1, plan=builders.plan(),
        spec=builders.spec(product_asset_id="A",
                           product_asset=builders.ref(f"assets/{owner}/A/image.png", "image/png")),
        request=RequestRecord(key_id="K", idempotency_key="i", request_hash="h", published_at=builders.WHEN),
        storyboard=StoryboardSection(total=2, done=[2, 10], image_model="offline-image",
                                     frames={"10": frame(f"generations/{gid}/storyboard/10.png"),
                                             "2": frame(f"generations/{gid}/storyboard/2.png")}),
        chunking=ChunkingSection(model="offline-video", chunk_duration_s=5.0, total=2, beats={"0": 1, "10": 1},
                                 done=["10-0", "0-1"], chunks={"10-0": chunk(gid, 10, 0), "0-1": chunk(gid, 0, 1)}),
        master=MasterSection(video=builders.ref(f"generations/{gid}/master.mp4"), duration_s=15.0, frames=450,
                             has_audio=False, music_error="no music model", copied_frames=400),
        exports=ExportsSection(renditions=[rendition], poster=builders.ref(f"generations/{gid}/p.jpg", "image/jpeg"),
                               thumbnail=builders.ref(f"generations/{gid}/t.jpg", "image/jpeg"),
                               spec_checks={"9x16": CHECK}, crops={"9x16": CropReport(area_kept=1, detail_kept=1)}),
        costs={"storyboard:0": CostEntry(key="storyboard:0", stage="storyboard", model="m", usd=0.003),
               "chunk:0-0": CostEntry(key="chunk:0-0", stage="chunking", model="v", units=5, usd=0.25)},
        total_cost_usd=0.253, previous_errors=[ErrorInfo(stage="chunking", reason="x", detail="secret detail")],
        timeline={"completed": builders.WHEN}, cancel=CancelInfo(by="acme", key_id="K"),
    )


INTERNAL = {"_id", "owner", "request", "key_id", "idempotency_key", "request_hash", "published_at", "storyboard",
            "chunking", "exports", "timeline", "previous_errors", "version", "total_cost_usd", "done",
            "spec_checks", "crops", "chunk_count", "requested_duration_s", "cost_usd", "copied_frames",
            "encoded_frames", "transition_windows", "normalised_chunks", "image_model", "chunk_duration_s"}
"""Names of internal document fields, at any depth of a response (`cancel` is internal too, but also a link)."""


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(v) for v in value)) if value else set()
    return set()


async def fake_presign(key: str) -> str:
    return f"https://s3/{key}?sig"
