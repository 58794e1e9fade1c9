"""Exporter handler: stitch.completed.v1 → renditions, poster, links → export.completed.v1 + generation.completed.v1.

What to make and whether it passed is decided in decide.py; the media work is the encoder port's. This module
carries it out: master down, renditions and poster made side by side, files up with fresh links, the exports
section recorded, then completion (or the spec-check failure) and the optional cleanup of intermediates.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import Event
from admint.contracts.export import ExportCompleted, Rendition, SpecCheck
from admint.contracts.generation import GenerationCompleted, RenditionSummary
from admint.contracts.interactive import VersionCompleted
from admint.contracts.stages import PIPELINE
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.document import ExportsSection
from admint.core.events import follow
from admint.core.scratch import scratch_dir
from admint.core.stores import GenerationStore, ObjectStore
from admint.exporter.config import ExporterSettings
from admint.exporter.decide import (
    check_target,
    exports_section,
    extra_aspects,
    first_beat_s,
    plan_renditions,
    poster_times,
    rendition,
    spec_failure,
)
from admint.exporter.ports import ExportEncoder, PosterImages
from admint.exporter.renditions import RenditionPlan

log = logging.getLogger(__name__)
PRODUCER = "exporter"


@dataclass
class Ports:
    docs: GenerationStore
    blobs: ObjectStore
    encoder: ExportEncoder
    settings: ExporterSettings


@dataclass(frozen=True)
class Built:
    """One rendition file made (the master's is the master itself) and its spec check."""

    plan: RenditionPlan
    path: Path
    check: SpecCheck


async def handle_stitch_completed(event: StitchCompleted, ports: Ports) -> list[Event]:
    gid = event.generation_id
    if event.ad_version > 1:
        return await _export_version(event, ports)
    status = await ports.docs.status(gid)
    if status == "completed":
        return await _replay(event, ports)
    if status in PIPELINE.terminal or not await ports.docs.enter(gid, "exporting"):
        log.info("generation %s is %s; nothing to export", gid, status)
        return []
    doc = await ports.docs.get(gid)
    first_beat = first_beat_s(doc.plan if doc is not None else None, event.duration_s)
    async with scratch_dir(ports.settings.workdir, PRODUCER, gid, event.id) as workdir:
        master = await ports.blobs.get_file(event.master.key, workdir / "master.mp4")
        built, pictures = await _make(event, ports, master, first_beat, workdir)
        exports = await _store(event, ports, built, pictures)
        await ports.docs.record_exports(gid, exports)
        failure = spec_failure(exports.renditions)
        if failure is not None:
            raise failure
        return await _complete(event, ports, exports)


async def _make(
    event: StitchCompleted, ports: Ports, master: Path, first_beat: float, workdir: Path
) -> tuple[list[Built], PosterImages]:
    """The renditions (encoded and checked) and, meanwhile, the poster."""
    build = asyncio.create_task(_build(event, ports, master, workdir))
    try:
        pictures = await ports.encoder.poster(master, poster_times(first_beat, event.duration_s), workdir)
        return await build, pictures
    finally:
        if not build.done():
            build.cancel()
            await asyncio.gather(build, return_exceptions=True)


async def _build(event: StitchCompleted, ports: Ports, master: Path, workdir: Path) -> list[Built]:
    spec, encoder = event.spec, ports.encoder
    saliency = await encoder.saliency(master, spec.size) if extra_aspects(spec) else None
    plans = plan_renditions(spec, saliency, ports.settings.policy())
    paths = [master, *await encoder.encode(master, plans[1:], spec.size, spec.fps, workdir)]
    checks = await asyncio.gather(*(
        encoder.check(path, check_target(spec, plan, event.has_audio, ports.settings.frame_tolerance))
        for plan, path in zip(plans, paths, strict=True)
    ))
    return [Built(plan, path, check) for plan, path, check in zip(plans, paths, checks, strict=True)]


async def _store(event: StitchCompleted, ports: Ports, built: list[Built], pictures: PosterImages) -> ExportsSection:
    """Upload poster, thumbnail and renditions (with fresh links): the exports section to record (a later version's
    under its own keys)."""
    gid, expiry_s, v = event.generation_id, ports.settings.presign_expiry_s, event.ad_version
    poster = await ports.blobs.put_bytes(keys.poster_key(gid, v), pictures.poster, "image/jpeg")
    thumb = await ports.blobs.put_bytes(keys.thumbnail_key(gid, v), pictures.thumbnail, "image/jpeg")
    expires = datetime.now(UTC) + timedelta(seconds=expiry_s)
    renditions = []
    for b in built:
        key = keys.export_key(gid, b.plan.aspect, v)
        ref = await ports.blobs.put_file(key, b.path, "video/mp4")
        url = await ports.blobs.presign_get(key, expiry_s)
        renditions.append(rendition(b.plan, ref, url, expires, b.check))
    return exports_section(renditions, [b.plan for b in built], poster, thumb)


async def _complete(event: StitchCompleted, ports: Ports, exports: ExportsSection) -> list[Event]:
    gid = event.generation_id
    doc = await ports.docs.get(gid)
    cost = doc.cost_total() if doc is not None else 0.0
    exported, completed = _events(event, exports.renditions, exports.poster, exports.thumbnail, cost)
    if not await ports.docs.complete(gid, completed.total_cost_usd) and await ports.docs.status(gid) != "completed":
        log.info("generation %s ended while it was exported; not announcing it", gid)
        return []  # cancelled or failed meanwhile: never a completed event after the terminal one
    if ports.settings.cleanup_intermediates:
        await cleanup(gid, ports.blobs)
    log.info("exported %s", ", ".join(f"{r.aspect} ({r.method})" for r in exports.renditions))
    return [exported, completed]


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
    doc = await ports.docs.get(event.generation_id)
    if doc is None or doc.exports is None or not doc.exports.renditions:
        return []
    expiry_s = ports.settings.presign_expiry_s
    expires = datetime.now(UTC) + timedelta(seconds=expiry_s)
    renditions = [
        r.model_copy(update={"url": await ports.blobs.presign_get(r.video.key, expiry_s), "url_expires_at": expires})
        for r in doc.exports.renditions
    ]
    return list(_events(event, renditions, doc.exports.poster, doc.exports.thumbnail, doc.cost_total()))


async def _export_version(event: StitchCompleted, ports: Ports) -> list[Event]:
    """A later version: its renditions, poster and links under its own keys; then it is the ad's newest version."""
    gid, version = event.generation_id, event.ad_version
    doc = await ports.docs.get(gid)
    section = doc.ad_version(version) if doc is not None else None
    if doc is None or section is None:
        return []
    if section.state == "completed" and section.exports is not None:
        return list(_version_events(event, await _fresh(section.exports.renditions, ports), section.exports,
                                    doc.version_cost(version)))
    if section.state != "rendering":
        log.info("version %d of %s is %s; nothing to export", version, gid, section.state)
        return []
    first_beat = first_beat_s(section.plan, event.duration_s)
    async with scratch_dir(ports.settings.workdir, PRODUCER, gid, event.id) as workdir:
        master = await ports.blobs.get_file(event.master.key, workdir / "master.mp4")
        built, pictures = await _make(event, ports, master, first_beat, workdir)
        exports = await _store(event, ports, built, pictures)
        await ports.docs.record_version_exports(gid, version, exports)
        failure = spec_failure(exports.renditions)
        if failure is not None:
            raise failure
    cost = (await ports.docs.get(gid) or doc).version_cost(version)
    if not await ports.docs.complete_version(gid, version, cost):
        log.info("version %d of %s ended while it was exported; not announcing it", version, gid)
        return []
    log.info("version %d exported: %s", version, ", ".join(r.aspect for r in exports.renditions))
    return list(_version_events(event, exports.renditions, exports, cost))


def _version_events(event: StitchCompleted, renditions: list[Rendition], exports: ExportsSection,
                    cost: float) -> tuple[ExportCompleted, VersionCompleted]:
    exported = follow(event, ExportCompleted, PRODUCER, renditions=renditions, poster=exports.poster,
                      thumbnail=exports.thumbnail)
    done = follow(event, VersionCompleted, PRODUCER, master=event.master,
                  renditions=[RenditionSummary(aspect=r.aspect, video=r.video) for r in renditions],
                  duration_s=event.duration_s, cost_usd=cost)
    return exported, done


async def _fresh(renditions: list[Rendition], ports: Ports) -> list[Rendition]:
    expiry_s = ports.settings.presign_expiry_s
    expires = datetime.now(UTC) + timedelta(seconds=expiry_s)
    return [r.model_copy(update={"url": await ports.blobs.presign_get(r.video.key, expiry_s),
                                 "url_expires_at": expires}) for r in renditions]


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
