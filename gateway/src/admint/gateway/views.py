"""Generation documents → the public response models (pure apart from the injected presign function).

The response is built field by field from the typed document, so what is not named here is not public: the
request bookkeeping, fan-in sets, timeline, previous errors, crop reports and cancel record stay internal. Every
stored object gets a fresh presigned `url`, so links never depend on when a stage ran.
"""

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.stages import PIPELINE
from admint.core.document import GenerationDoc
from admint.gateway.quality_views import quality_view
from admint.gateway.schemas import (
    ArtifactView,
    ChunkView,
    CostItem,
    CostSummary,
    ErrorView,
    FrameView,
    GenerationAccepted,
    GenerationLinks,
    GenerationSummary,
    GenerationView,
    MasterView,
    MediaRemoved,
    ModelCost,
    RenditionView,
    SpecView,
    StageCost,
)
from admint.gateway.stores import ListedGeneration

Presign = Callable[[str], Awaitable[str]]
Urls = Mapping[str, str]
"""Object key → presigned link."""


def links(generation_id: str, base: str = "") -> GenerationLinks:
    root = f"{base}/v1/generations/{generation_id}"
    return GenerationLinks(self=root, events=f"{root}/events", video=f"{root}/video", cancel=f"{root}/cancel")


def current_stage(status: str, failed_stage: str | None = None) -> str | None:
    """The stage working on it now; for a failed generation, the stage that failed."""
    if status in PIPELINE.stage_of_status:
        return PIPELINE.stage_of_status[status]
    return failed_stage if status == "failed" else None


def accepted(doc: GenerationDoc, base: str = "") -> GenerationAccepted:
    return GenerationAccepted(id=doc.id, status=doc.status, created_at=doc.created_at, links=links(doc.id, base))


def summary(listed: ListedGeneration, base: str = "") -> GenerationSummary:
    return GenerationSummary(
        id=listed.id, status=listed.status,
        stage=current_stage(listed.status, listed.error.stage if listed.error else None),
        created_at=listed.created_at, updated_at=listed.updated_at, brief=listed.spec.brief[:200],
        duration_s=listed.spec.duration_s, aspect=listed.spec.aspect, links=links(listed.id, base),
    )


def stored_objects(doc: GenerationDoc) -> list[ArtifactRef]:
    """Every stored object the response links to."""
    refs = [doc.spec.product_asset] if doc.spec.product_asset else []
    refs += [frame.image for frame in doc.storyboard.frames.values()]
    for chunk in doc.chunking.chunks.values():
        refs += [chunk.video, chunk.last_frame]
    if doc.master:
        refs.append(doc.master.video)
    if doc.exports:
        refs += [r.video for r in doc.exports.renditions] + [doc.exports.poster, doc.exports.thumbnail]
    return refs


async def presign_all(refs: list[ArtifactRef], presign: Presign) -> dict[str, str]:
    """One presigned link per distinct object. One after another: signing is an HMAC in the event loop (and
    mostly a cache hit), so a task per link only added its scheduling (half the view's cost, issue 16)."""
    return {key: await presign(key) for key in sorted({ref.key for ref in refs})}


def artifact(ref: ArtifactRef, urls: Urls) -> ArtifactView:
    return ArtifactView(bucket=ref.bucket, key=ref.key, sha256=ref.sha256, size=ref.size,
                        content_type=ref.content_type, url=urls[ref.key])


def _beat(key: str) -> int:
    return int(key) if key.isdigit() else 1 << 30


def spec_view(doc: GenerationDoc, urls: Urls) -> SpecView:
    asset = doc.spec.product_asset
    return SpecView(**doc.spec.model_dump(exclude={"product_asset"}),
                    product_asset=artifact(asset, urls) if asset else None)


def frames_view(doc: GenerationDoc, urls: Urls) -> list[FrameView]:
    """Frames are a map by beat in the document (idempotent writes); the API lists them in beat order."""
    ordered = sorted(doc.storyboard.frames.items(), key=lambda kv: _beat(kv[0]))
    return [FrameView(beat_index=_beat(beat), image=artifact(f.image, urls), model=f.model) for beat, f in ordered]


def chunks_view(doc: GenerationDoc, urls: Urls) -> list[ChunkView]:
    ordered = sorted(doc.chunking.chunks.values(), key=lambda c: (c.beat_index, c.chunk_index))
    return [ChunkView(beat_index=c.beat_index, chunk_index=c.chunk_index, duration_s=c.duration_s,
                      video=artifact(c.video, urls), last_frame=artifact(c.last_frame, urls), model=c.model)
            for c in ordered]


def master_view(doc: GenerationDoc, urls: Urls) -> MasterView | None:
    if doc.master is None:
        return None
    m = doc.master
    return MasterView(video=artifact(m.video, urls), duration_s=m.duration_s, has_audio=m.has_audio,
                      music_model=m.music_model, music_error=m.music_error)


def renditions_view(doc: GenerationDoc, urls: Urls, expires_at: datetime) -> list[RenditionView]:
    """The exporter's renditions with a fresh link (the one it recorded has long expired) and its ffprobe check."""
    if doc.exports is None:
        return []
    return [RenditionView(aspect=r.aspect, size=r.size, method=r.method, video=artifact(r.video, urls),
                          url=urls[r.video.key], url_expires_at=expires_at, spec_check=r.spec_check)
            for r in doc.exports.renditions]


def cost_summary(doc: GenerationDoc) -> CostSummary:
    entries = [CostItem(key=e.key, stage=e.stage, model=e.model, units=e.units, usd=e.usd)
               for _, e in sorted(doc.costs.items())]
    by_stage: dict[str, float] = {}
    by_model: dict[str, float] = {}
    for e in entries:
        by_stage[e.stage] = round(by_stage.get(e.stage, 0.0) + e.usd, 6)
        by_model[e.model] = round(by_model.get(e.model, 0.0) + e.usd, 6)
    return CostSummary(
        total_usd=doc.cost_total(), entries=entries,
        by_stage=[StageCost(stage=stage, usd=usd) for stage, usd in by_stage.items()],
        by_model=[ModelCost(model=model, usd=usd) for model, usd in sorted(by_model.items())],
        estimated_usd=doc.request.estimated_cost_usd, max_cost_usd=doc.spec.max_cost_usd,
    )


def error_view(doc: GenerationDoc) -> ErrorView | None:
    if doc.error is None:
        return None
    e = doc.error
    return ErrorView(stage=e.stage, reason=e.reason, retryable=e.retryable, detail=e.detail, at=e.at)


def media_removed(doc: GenerationDoc) -> MediaRemoved | None:
    kept = doc.retention
    if kept.intermediates_deleted_at is None and kept.videos_deleted_at is None:
        return None
    return MediaRemoved(intermediates_at=kept.intermediates_deleted_at, videos_at=kept.videos_deleted_at)


def build_view(doc: GenerationDoc, urls: Urls, base: str, expires_at: datetime,
               deadline_s: float = 7 * 24 * 3600) -> GenerationView:
    """The response for `doc`, given a presigned link for each of its stored objects (`stored_objects`)."""
    from admint.gateway import studio_views  # the studio's parts of the view (they import this module)

    exports = doc.exports
    return GenerationView(
        id=doc.id, status=doc.status, stage=current_stage(doc.status, doc.error.stage if doc.error else None),
        attempt=doc.attempt, created_at=doc.created_at, updated_at=doc.updated_at,
        spec=spec_view(doc, urls), plan=doc.plan, frames=frames_view(doc, urls), chunks=chunks_view(doc, urls),
        master=master_view(doc, urls), renditions=renditions_view(doc, urls, expires_at),
        poster=artifact(exports.poster, urls) if exports else None,
        thumbnail=artifact(exports.thumbnail, urls) if exports else None,
        costs=cost_summary(doc), error=error_view(doc), quality=quality_view(doc), group_id=doc.group_id,
        media_removed=media_removed(doc), links=links(doc.id, base), trace_id=doc.request.trace_id,
        beats=studio_views.cards(doc, urls), studio=studio_views.studio_view(doc, urls, deadline_s),
        plan_rev=doc.plan_rev, latest_version=doc.latest_version, rendering_version=doc.rendering_version or None,
    )


async def generation_view(doc: GenerationDoc, presign: Presign, base: str, expires_at: datetime,
                          deadline_s: float = 7 * 24 * 3600) -> GenerationView:
    from admint.gateway.studio_views import studio_objects

    refs = [*stored_objects(doc), *studio_objects(doc)]
    return build_view(doc, await presign_all(refs, presign), base, expires_at, deadline_s)
