"""Exporter handler with fakes of the storage ports and a real (tiny) master."""

import asyncio
import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from admint.contracts.common import CostEntry, FrameSize
from admint.contracts.export import ExportCompleted
from admint.contracts.generation import GenerationCompleted, GenerationSpec
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.errors import PermanentError
from admint.exporter.config import ExporterSettings
from admint.exporter.handlers import Ports, handle_stitch_completed
from admint.media.house import HOUSE
from tests.support.fakes import FakeGenerationStore, FakeObjectStore

pytestmark = pytest.mark.unit
GID = "G01EXPORTTEST"
W, H = 180, 320


def make_master(path: Path, seconds: float, audio: bool) -> Path:
    """A house-format master: moving test pattern, a caption-like bar low in the frame, optional AAC tone."""
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc2=s={W}x{H}:r=30:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    args += ["-vf", "drawbox=x=10:y=230:w=160:h=30:color=white:t=fill", "-map", "0:v"]
    args += (["-map", "1:a", *HOUSE.audio_args()] if audio else [])
    args += [*HOUSE.video_args(), "-movflags", "+faststart", str(path)]
    subprocess.run(args, check=True)
    return path


@pytest.fixture(scope="module")
def masters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("masters")
    return {"audio": make_master(d / "a.mp4", 15.0, True), "silent": make_master(d / "s.mp4", 15.0, False)}


def spec(**kw: object) -> GenerationSpec:
    return GenerationSpec(brief="tiny", size=FrameSize(width=W, height=H), **{"duration_s": 15, **kw})  # type: ignore[arg-type]


async def setup(master: Path, *, has_audio: bool = True, **spec_kw: object) -> tuple[
    FakeGenerationStore, FakeObjectStore, StitchCompleted
]:
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    await docs.create(GID, {"plan": {"beats": [{"duration_s": 5}, {"duration_s": 10}]}})
    docs.docs[GID]["status"] = "stitching"
    await docs.record_cost(GID, CostEntry(key="storyboard:0", stage="storyboard", model="m", usd=0.1))
    await docs.record_cost(GID, CostEntry(key="chunk:0-0", stage="chunking", model="m", usd=0.25))
    ref = await blobs.put_file(keys.master_key(GID), master, "video/mp4")
    await blobs.put_bytes(keys.chunk_key(GID, 0, 0), b"chunk", "video/mp4")
    await blobs.put_bytes(keys.last_frame_key(GID, 0, 0), b"png", "image/png")
    event = StitchCompleted(generation_id=GID, producer="stitcher", spec=spec(**spec_kw), master=ref,
                            duration_s=15.0, has_audio=has_audio)
    return docs, blobs, event


def ports(docs: FakeGenerationStore, blobs: FakeObjectStore, tmp: Path, **kw: object) -> Ports:
    settings = ExporterSettings(workdir=str(tmp / "work"), thumbnail_long_side=64, presign_expiry_s=600,
                                **kw)  # type: ignore[arg-type]
    return Ports(docs=docs, blobs=blobs, settings=settings)


async def test_renditions_poster_links_and_completion(masters: dict[str, Path], tmp_path: Path) -> None:
    docs, blobs, event = await setup(masters["audio"], renditions=["1:1", "16:9", "9:16"])
    exported, completed = await handle_stitch_completed(event, ports(docs, blobs, tmp_path))
    assert isinstance(exported, ExportCompleted) and isinstance(completed, GenerationCompleted)
    got = [(r.aspect, r.size.width, r.size.height, r.method) for r in exported.renditions]
    assert got[0] == ("9:16", W, H, "master")
    assert {g[0]: g[1:3] for g in got[1:]} == {"1:1": (180, 180), "16:9": (320, 180)}
    assert len(got) == 3  # 9:16 asked again as an extra is not exported twice
    for r in exported.renditions:
        check = r.spec_check
        assert check.passed, check.problems
        assert (check.codec, check.profile, check.pix_fmt, check.faststart, check.has_audio) == (
            "h264", "High", "yuv420p", True, True)
        assert check.fps == 30 and check.duration_s == pytest.approx(15.0, abs=0.05)
        assert r.video.key == keys.export_key(GID, r.aspect) and await blobs.exists(r.video.key)
        assert "expires=600" in r.url
    master_copy = await blobs.get_bytes(keys.export_key(GID, "9:16"))
    assert master_copy == await blobs.get_bytes(keys.master_key(GID))  # the master itself, not re-encoded
    poster = Image.open(io.BytesIO(await blobs.get_bytes(keys.poster_key(GID))))
    thumb = Image.open(io.BytesIO(await blobs.get_bytes(keys.thumbnail_key(GID))))
    assert poster.format == "JPEG" and poster.size == (W, H)
    assert thumb.format == "JPEG" and max(thumb.size) == 64
    assert completed.total_cost_usd == pytest.approx(0.35)
    assert completed.master == event.master and [r.aspect for r in completed.renditions] == ["9:16", "1:1", "16:9"]
    doc = docs.docs[GID]
    assert doc["status"] == "completed" and doc["quality"]["passed"] is True
    assert set(doc["quality"]["spec_checks"]) == {"9x16", "1x1", "16x9"}
    assert len(doc["exports"]["renditions"]) == 3
    assert await blobs.exists(keys.chunk_key(GID, 0, 0))  # cleanup is off by default


async def test_a_redelivery_after_completion_republishes_from_the_document(
    masters: dict[str, Path], tmp_path: Path
) -> None:
    docs, blobs, event = await setup(masters["audio"], renditions=["1:1"])
    p = ports(docs, blobs, tmp_path)
    first = await handle_stitch_completed(event, p)
    puts = blobs.puts
    again = await handle_stitch_completed(event, p)
    assert [e.msg_id for e in again] == [e.msg_id for e in first]
    assert again[0].renditions[1].video == first[0].renditions[1].video  # type: ignore[attr-defined]
    assert blobs.puts == puts  # nothing re-encoded or re-uploaded
    docs.docs[GID]["status"] = "failed"
    assert await handle_stitch_completed(event, p) == []


async def test_silent_master_records_absence_and_passes(masters: dict[str, Path], tmp_path: Path) -> None:
    docs, blobs, event = await setup(masters["silent"], has_audio=False)
    exported, _ = await handle_stitch_completed(event, ports(docs, blobs, tmp_path))
    check = exported.renditions[0].spec_check  # type: ignore[attr-defined]
    assert check.passed and check.has_audio is False


async def test_a_rendition_failing_the_spec_check_fails_the_generation_with_the_reason(
    masters: dict[str, Path], tmp_path: Path
) -> None:
    docs, blobs, event = await setup(masters["silent"], has_audio=True, renditions=["1:1"])
    with pytest.raises(PermanentError, match="failed the spec check: no audio stream") as err:
        await handle_stitch_completed(event, ports(docs, blobs, tmp_path))
    assert "1:1" in (err.value.detail or "")
    doc = docs.docs[GID]
    assert doc["quality"]["passed"] is False and doc["status"] == "exporting"
    assert doc["quality"]["spec_checks"]["9x16"]["problems"] == ["no audio stream, expected the music bed"]


async def test_wrong_duration_fails(masters: dict[str, Path], tmp_path: Path) -> None:
    docs, blobs, event = await setup(masters["audio"])
    event = event.model_copy(update={"spec": spec(duration_s=20)})
    with pytest.raises(PermanentError, match="450 frames"):
        await handle_stitch_completed(event, ports(docs, blobs, tmp_path))


async def test_cleanup_of_intermediates_only_when_enabled(masters: dict[str, Path], tmp_path: Path) -> None:
    docs, blobs, event = await setup(masters["audio"])
    await handle_stitch_completed(event, ports(docs, blobs, tmp_path, cleanup_intermediates=True))
    assert await blobs.list_keys(keys.generation_prefix(GID) + "chunks/") == []
    assert await blobs.exists(keys.master_key(GID)) and await blobs.exists(keys.export_key(GID, "9:16"))


async def test_padded_rendition_keeps_the_whole_picture(masters: dict[str, Path], tmp_path: Path) -> None:
    docs, blobs, event = await setup(masters["audio"], renditions=["16:9"])
    exported, _ = await handle_stitch_completed(event, ports(docs, blobs, tmp_path))
    wide = exported.renditions[1]  # type: ignore[attr-defined]
    assert wide.method == "pad"
    path = tmp_path / "wide.mp4"
    path.write_bytes(await blobs.get_bytes(wide.video.key))
    frame = tmp_path / "wide.png"
    proc = await asyncio.create_subprocess_exec("ffmpeg", "-v", "error", "-y", "-ss", "2", "-i", str(path),
                                                "-frames:v", "1", str(frame))
    assert await proc.wait() == 0
    img = Image.open(frame).convert("L")
    # the caption bar of the master (white, low in the frame) is still there in the centre column
    fg_w = round(W * 180 / H / 2) * 2
    x0 = (320 - fg_w) // 2
    bar_y = round(245 * 180 / H)
    assert img.getpixel((x0 + fg_w // 2, bar_y)) > 200
