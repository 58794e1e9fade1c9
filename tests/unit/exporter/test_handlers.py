"""Exporter handler with fakes of every port (stores and encoder): no ffmpeg, no servers.

The real encoder (renditions, poster, spec checks on real files) is tested in test_encoder.py.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from admint.contracts.common import CostEntry, FrameSize
from admint.contracts.export import ExportCompleted
from admint.contracts.generation import GenerationCompleted, GenerationSpec
from admint.contracts.plan import Plan
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.errors import PermanentError
from admint.exporter.config import ExporterSettings
from admint.exporter.handlers import Ports, handle_stitch_completed
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.exporter.fakes import POSTER, THUMBNAIL, FakeExportEncoder

pytestmark = pytest.mark.unit
GID = "G01EXPORTTEST"
W, H = 180, 320
MASTER = b"the master mp4"


def spec(**kw: object) -> GenerationSpec:
    return GenerationSpec(brief="tiny", size=FrameSize(width=W, height=H), **{"duration_s": 15, **kw})  # type: ignore[arg-type]


def plan(durations: tuple[int, ...]) -> Plan:
    template, starts = builders.plan(15), [sum(durations[:i]) for i in range(len(durations))]
    beats = [template.beats[0].model_copy(update={"index": i, "start_s": s, "duration_s": d})
             for i, (s, d) in enumerate(zip(starts, durations, strict=True))]
    return template.model_copy(update={"beats": beats, "duration_s": sum(durations)})


class World:
    def __init__(self, tmp: Path, encoder: FakeExportEncoder | None = None, **settings: object) -> None:
        self.docs, self.blobs = FakeGenerationStore(), FakeObjectStore()
        self.encoder = encoder or FakeExportEncoder()
        self.workdir = tmp / "work"
        self.ports = Ports(docs=self.docs, blobs=self.blobs, encoder=self.encoder, settings=ExporterSettings(
            workdir=str(self.workdir), presign_expiry_s=600, **settings))  # type: ignore[arg-type]

    async def start(self, *, has_audio: bool = True, beats: tuple[int, ...] = (5, 5, 5),
                    **spec_kw: object) -> StitchCompleted:
        await self.docs.create(builders.generation(GID, status="stitching", spec=spec(**spec_kw), plan=plan(beats)))
        await self.docs.record_cost(GID, CostEntry(key="storyboard:0", stage="storyboard", model="m", usd=0.1))
        await self.docs.record_cost(GID, CostEntry(key="chunk:0-0", stage="chunking", model="m", usd=0.25))
        ref = await self.blobs.put_bytes(keys.master_key(GID), MASTER, "video/mp4")
        await self.blobs.put_bytes(keys.chunk_key(GID, 0, 0), b"chunk", "video/mp4")
        await self.blobs.put_bytes(keys.last_frame_key(GID, 0, 0), b"png", "image/png")
        return StitchCompleted(generation_id=GID, producer="stitcher", spec=spec(**spec_kw), master=ref,
                               duration_s=15.0, has_audio=has_audio)


async def test_renditions_poster_links_and_completion(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start(renditions=["1:1", "16:9", "9:16"])
    before = datetime.now(UTC)
    exported, completed = await handle_stitch_completed(event, w.ports)
    assert isinstance(exported, ExportCompleted) and isinstance(completed, GenerationCompleted)
    assert exported.causation_id == event.id and exported.producer == "exporter"
    got = [(r.aspect, r.size.width, r.size.height, r.method) for r in exported.renditions]
    assert got == [("9:16", W, H, "master"), ("1:1", 180, 180, "crop"), ("16:9", 320, 180, "pad")]
    # 9:16 asked again as an extra is neither encoded nor exported twice; one saliency map for both crops
    assert [p.aspect for p in w.encoder.encoded] == ["1:1", "16:9"] and w.encoder.saliency_calls == 1
    for r in exported.renditions:
        assert r.spec_check.passed and r.video.key == keys.export_key(GID, r.aspect)
        assert r.url == f"http://fake-s3/admint/{r.video.key}?expires=600"
        assert before + timedelta(seconds=599) < r.url_expires_at < datetime.now(UTC) + timedelta(seconds=601)
    assert await w.blobs.get_bytes(keys.export_key(GID, "9:16")) == MASTER  # the master itself, not re-encoded
    assert await w.blobs.get_bytes(keys.export_key(GID, "1:1")) == b"crop 180x180"
    assert await w.blobs.get_bytes(keys.poster_key(GID)) == POSTER and exported.poster.key == keys.poster_key(GID)
    assert await w.blobs.get_bytes(keys.thumbnail_key(GID)) == THUMBNAIL
    assert completed.total_cost_usd == pytest.approx(0.35) and completed.duration_s == 15.0
    assert completed.master == event.master and [r.aspect for r in completed.renditions] == ["9:16", "1:1", "16:9"]
    doc = await w.docs.get(GID)
    assert doc is not None and doc.status == "completed" and doc.total_cost_usd == pytest.approx(0.35)
    assert doc.exports is not None and doc.exports.passed is True
    assert doc.exports.renditions == exported.renditions
    assert set(doc.exports.spec_checks) == {"9x16", "1x1", "16x9"}
    assert set(doc.exports.crops) == {"1x1", "16x9"} and doc.exports.crops["1x1"].area_kept == pytest.approx(0.5625)
    assert await w.blobs.exists(keys.chunk_key(GID, 0, 0))  # cleanup is off by default
    scratch = w.workdir / "exporter" / GID
    assert not scratch.exists() or not any(scratch.iterdir())  # scratch files are removed


async def test_what_each_rendition_is_checked_against(tmp_path: Path) -> None:
    w = World(tmp_path, frame_tolerance=2)
    await handle_stitch_completed(await w.start(has_audio=False, renditions=["1:1"]), w.ports)
    assert [(t.aspect, t.width, t.height, t.fps, t.duration_s, t.audio, t.frame_tolerance)
            for t in w.encoder.targets] == [("9:16", W, H, 30, 15.0, False, 2), ("1:1", 180, 180, 30, 15.0, False, 2)]


async def test_the_poster_is_chosen_around_the_middle_of_the_first_beat(tmp_path: Path) -> None:
    w = World(tmp_path)
    await handle_stitch_completed(await w.start(beats=(10, 5)), w.ports)
    assert w.encoder.poster_times == [4.4, 5.0, 5.6]


async def test_only_the_master_needs_no_saliency_and_no_encode(tmp_path: Path) -> None:
    w = World(tmp_path)
    exported, _ = await handle_stitch_completed(await w.start(), w.ports)
    assert [r.method for r in exported.renditions] == ["master"]  # type: ignore[attr-defined]
    assert w.encoder.saliency_calls == 0 and w.encoder.encoded == []
    doc = await w.docs.get(GID)
    assert doc is not None and doc.exports is not None and doc.exports.crops == {}


async def test_the_rendition_method_setting_is_applied(tmp_path: Path) -> None:
    w = World(tmp_path, rendition_method="pad")
    exported, _ = await handle_stitch_completed(await w.start(renditions=["1:1"]), w.ports)
    assert exported.renditions[1].method == "pad"  # type: ignore[attr-defined]


async def test_a_redelivery_after_completion_republishes_from_the_document_with_fresh_links(
    tmp_path: Path
) -> None:
    w = World(tmp_path)
    event = await w.start(renditions=["1:1"])
    first = await handle_stitch_completed(event, w.ports)
    puts, encoded = w.blobs.puts, len(w.encoder.encoded)
    w.ports.settings = w.ports.settings.model_copy(update={"presign_expiry_s": 900})
    again = await handle_stitch_completed(event, w.ports)
    assert [e.msg_id for e in again] == [e.msg_id for e in first]
    assert again[0].renditions[1].video == first[0].renditions[1].video  # type: ignore[attr-defined]
    assert all("expires=900" in r.url for r in again[0].renditions)  # type: ignore[attr-defined]
    assert again[0].renditions[0].url_expires_at > first[0].renditions[0].url_expires_at  # type: ignore[attr-defined]
    assert again[0].poster == first[0].poster and again[0].thumbnail == first[0].thumbnail  # type: ignore[attr-defined]
    assert again[1].total_cost_usd == first[1].total_cost_usd  # type: ignore[attr-defined]
    assert w.blobs.puts == puts and len(w.encoder.encoded) == encoded  # nothing re-encoded or re-uploaded


async def test_a_completed_generation_without_exports_republishes_nothing(tmp_path: Path) -> None:
    w = World(tmp_path)
    event = await w.start()
    await w.docs.complete(GID, 0.0)
    assert await handle_stitch_completed(event, w.ports) == []


@pytest.mark.parametrize("how", ["failed", "cancelled"])
async def test_a_failed_or_cancelled_generation_is_not_exported(tmp_path: Path, how: str) -> None:
    w = World(tmp_path)
    event = await w.start()
    if how == "failed":
        await w.docs.fail(GID, "stitching", "boom")
    else:
        await w.docs.enter(GID, "cancelled")
    assert await handle_stitch_completed(event, w.ports) == []
    assert w.encoder.targets == [] and not await w.blobs.exists(keys.poster_key(GID))


async def test_a_rendition_failing_the_spec_check_fails_the_generation_after_recording_why(tmp_path: Path) -> None:
    problem = "no audio stream, expected the music bed"
    w = World(tmp_path, FakeExportEncoder(problems={"1:1": [problem, "duration 14.0s"], "9:16": [problem]}))
    with pytest.raises(PermanentError, match=f"rendition 9:16 failed the spec check: {problem}") as err:
        await handle_stitch_completed(await w.start(renditions=["1:1"]), w.ports)
    assert err.value.detail == f"9:16: {problem}; 1:1: {problem}, duration 14.0s"
    doc = await w.docs.get(GID)
    assert doc is not None and doc.status == "exporting" and doc.exports is not None
    assert doc.exports.passed is False and doc.exports.spec_checks["9x16"].problems == [problem]
    assert doc.exports.spec_checks["1x1"].problems == [problem, "duration 14.0s"]
    assert await w.blobs.exists(keys.chunk_key(GID, 0, 0))


async def test_cleanup_of_intermediates_only_when_enabled(tmp_path: Path) -> None:
    w = World(tmp_path, cleanup_intermediates=True)
    await handle_stitch_completed(await w.start(), w.ports)
    assert await w.blobs.list_keys(keys.generation_prefix(GID) + "chunks/") == []
    assert await w.blobs.exists(keys.master_key(GID)) and await w.blobs.exists(keys.export_key(GID, "9:16"))


async def test_a_failing_cleanup_does_not_fail_the_delivered_ad(tmp_path: Path) -> None:
    w = World(tmp_path, cleanup_intermediates=True)

    async def broken(key: str) -> None:
        raise OSError("S3 is down")

    w.blobs.delete = broken  # type: ignore[method-assign]
    out = await handle_stitch_completed(await w.start(), w.ports)
    assert len(out) == 2 and await w.docs.status(GID) == "completed"


class FailingMidway(FakeExportEncoder):
    """Another replica's watchdog (or a cancel) ends the generation while its renditions are being encoded."""

    def __init__(self, docs: FakeGenerationStore, end: str) -> None:
        super().__init__()
        self.docs, self.end = docs, end

    async def poster(self, master: Path, times: list[float], workdir: Path):  # type: ignore[no-untyped-def]
        if self.end == "failed":
            await self.docs.fail(GID, "exporting", "stage budget exceeded")
        else:
            await self.docs.enter(GID, "cancelled")
        return await super().poster(master, times, workdir)


@pytest.mark.parametrize("end", ["failed", "cancelled"])
async def test_a_generation_that_ended_meanwhile_is_never_announced_completed(tmp_path: Path, end: str) -> None:
    w = World(tmp_path)
    w.ports.encoder = w.encoder = FailingMidway(w.docs, end)
    event = await w.start()
    assert await handle_stitch_completed(event, w.ports) == []
    doc = await w.docs.get(GID)
    assert doc is not None and doc.status == end and doc.exports is not None  # what was stored stays listed
