"""Exporter handler: stitch.completed.v1 → renditions, poster, links → export.completed.v1 + generation.completed.v1."""

import asyncio
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import Aspect, FrameSize
from admint.contracts.envelope import Event
from admint.contracts.export import ExportCompleted, Rendition, SpecCheck
from admint.contracts.generation import GenerationCompleted, RenditionSummary
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.errors import PermanentError
from admint.core.events import follow
from admint.core.stores import GenerationStore, ObjectStore
from admint.exporter.config import ExporterSettings
from admint.exporter.media import encode_rendition, saliency_map
from admint.exporter.poster import best_frame, jpeg, poster_times, thumbnail
from admint.exporter.renditions import RenditionPlan, master_rendition, plan_rendition
from admint.media.speccheck import Expected, spec_check

log = logging.getLogger(__name__)
PRODUCER = "exporter"


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    settings: ExporterSettings


@dataclass(frozen=True)
class Built:
    plan: RenditionPlan
    path: Path
    check: SpecCheck


def aspects_of(event: StitchCompleted) -> list[str]:
    """The master's aspect first, then each extra aspect once."""
    out: list[str] = [event.spec.aspect]
    for aspect in event.spec.renditions:
        if aspect not in out:
            out.append(aspect)
    return out


def first_beat_s(doc: dict[str, Any], duration_s: float) -> float:
    beats = (doc.get("plan") or {}).get("beats") or []
    return float(beats[0].get("duration_s", 5)) if beats else min(5.0, duration_s)


def total_cost(doc: dict[str, Any]) -> float:
    return round(sum(float(c.get("usd", 0.0)) for c in (doc.get("costs") or {}).values()), 6)


async def _build(event: StitchCompleted, master: Path, workdir: Path, settings: ExporterSettings) -> list[Built]:
    spec = event.spec
    size = spec.size
    others = aspects_of(event)[1:]
    saliency = await saliency_map(master, size) if others else None
    plans = [plan_rendition(a, size, saliency, settings.policy()) for a in others]
    threads = max(1, (os.cpu_count() or 1) // max(1, len(plans)))
    paths = await asyncio.gather(*(
        encode_rendition(master, p, size, spec.fps, workdir / f"{keys.rendition_name(p.aspect)}.mp4", threads)
        for p in plans
    ))
    master_plan = master_rendition(spec.aspect, size)
    built = [(master_plan, master), *zip(plans, paths, strict=True)]
    duration = round(spec.duration_s, 6)
    checks = await asyncio.gather(*(
        spec_check(path, Expected(plan.size.width, plan.size.height, spec.fps, duration, audio=event.has_audio,
                                  frame_tolerance=settings.frame_tolerance))
        for plan, path in built
    ))
    return [Built(plan, path, check) for (plan, path), check in zip(built, checks, strict=True)]


async def handle_stitch_completed(event: StitchCompleted, ports: Ports) -> list[Event]:
    gid, settings = event.generation_id, ports.settings
    status = await ports.docs.status(gid)
    if status == "completed":
        return await _replay(event, ports)
    if status in ("failed", "cancelled") or not await ports.docs.advance(gid, "exporting"):
        log.info("generation %s is %s; nothing to export", gid, status)
        return []
    doc = await ports.docs.get(gid) or {}
    workdir = Path(settings.workdir) / "exporter" / gid / f"{event.id}-{uuid.uuid4().hex[:8]}"  # per delivery
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        master = await ports.blobs.get_file(event.master.key, workdir / "master.mp4")
        built_task = asyncio.create_task(_build(event, master, workdir, settings))
        try:
            image = await best_frame(master, poster_times(first_beat_s(doc, event.duration_s), event.duration_s),
                                     workdir)
            built = await built_task
        finally:
            if not built_task.done():
                built_task.cancel()

        poster = await ports.blobs.put_bytes(keys.poster_key(gid), jpeg(image, settings.poster_quality), "image/jpeg")
        thumb = await ports.blobs.put_bytes(
            keys.thumbnail_key(gid), jpeg(thumbnail(image, settings.thumbnail_long_side), 85), "image/jpeg"
        )
        expires = datetime.now(UTC) + timedelta(seconds=settings.presign_expiry_s)
        renditions = []
        for b in built:
            key = keys.export_key(gid, b.plan.aspect)
            ref: ArtifactRef = await ports.blobs.put_file(key, b.path, "video/mp4")
            renditions.append(Rendition(
                aspect=cast(Aspect, b.plan.aspect), size=FrameSize(width=b.plan.size.width, height=b.plan.size.height),
                method=b.plan.method, video=ref,
                url=await ports.blobs.presign_get(key, settings.presign_expiry_s), url_expires_at=expires,
                spec_check=b.check,
            ))
        quality = {
            "spec_checks": {keys.rendition_name(r.aspect): r.spec_check.model_dump(mode="json") for r in renditions},
            "passed": all(r.spec_check.passed for r in renditions),
            "crops": {keys.rendition_name(b.plan.aspect): {"area_kept": b.plan.area_kept,
                                                            "detail_kept": b.plan.detail_kept}
                      for b in built[1:]},
        }
        exports = {
            "renditions": [r.model_dump(mode="json") for r in renditions],
            "poster": poster.model_dump(mode="json"),
            "thumbnail": thumb.model_dump(mode="json"),
        }
        await ports.docs.set_fields(gid, {"exports": exports, "quality": quality})
        failed = [r for r in renditions if not r.spec_check.passed]
        if failed:
            detail = "; ".join(f"{r.aspect}: {', '.join(r.spec_check.problems)}" for r in failed)
            raise PermanentError(f"rendition {failed[0].aspect} failed the spec check: "
                                 f"{failed[0].spec_check.problems[0]}", detail=detail)

        doc = await ports.docs.get(gid) or doc
        exported, completed = _events(event, renditions, poster, thumb, total_cost(doc))
        await ports.docs.advance(gid, "completed", {"total_cost_usd": completed.total_cost_usd})
        if settings.cleanup_intermediates:
            await cleanup(gid, ports.blobs)
        log.info("exported %s", ", ".join(f"{r.aspect} ({r.method})" for r in renditions))
        return [exported, completed]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _events(
    event: StitchCompleted, renditions: list[Rendition], poster: ArtifactRef, thumb: ArtifactRef, cost: float
) -> tuple[ExportCompleted, GenerationCompleted]:
    exported = follow(event, ExportCompleted, PRODUCER, renditions=renditions, poster=poster, thumbnail=thumb)
    completed = follow(
        event, GenerationCompleted, PRODUCER, master=event.master,
        renditions=[RenditionSummary(aspect=r.aspect, video=r.video) for r in renditions],
        duration_s=event.duration_s, total_cost_usd=cost,
    )
    return exported, completed


async def _replay(event: StitchCompleted, ports: Ports) -> list[Event]:
    """Completed already (a redelivery after a crash between marking and publishing): re-publish from the doc,
    with fresh links."""
    doc = await ports.docs.get(event.generation_id) or {}
    exports = doc.get("exports") or {}
    if not exports.get("renditions"):
        return []
    renditions = []
    expires = datetime.now(UTC) + timedelta(seconds=ports.settings.presign_expiry_s)
    for raw in exports["renditions"]:
        r = Rendition.model_validate(raw)
        url = await ports.blobs.presign_get(r.video.key, ports.settings.presign_expiry_s)
        renditions.append(r.model_copy(update={"url": url, "url_expires_at": expires}))
    poster = ArtifactRef.model_validate(exports["poster"])
    thumb = ArtifactRef.model_validate(exports["thumbnail"])
    return list(_events(event, renditions, poster, thumb, total_cost(doc)))


async def cleanup(generation_id: str, blobs: ObjectStore) -> int:
    """Delete the chunks and their last frames (only ever after a successful export); returns how many."""
    prefix = keys.generation_prefix(generation_id) + "chunks/"
    removed = 0
    try:
        for key in await blobs.list_keys(prefix):
            await blobs.delete(key)
            removed += 1
    except Exception as exc:  # the ad is delivered; leftover intermediates are only storage
        log.warning("cleanup of %s stopped after %d objects: %s", prefix, removed, exc)
    return removed
