"""Stitcher and exporter processes on the real local stack: chunks.completed.v1 → generation.completed.v1.

The chunks are made here (house format, every frame coded with its beat and index), stored in S3, and announced
on the bus the way the chunker fan-in does. The test follows the generation's events on the stream, then checks
the master frame by frame, its music bed, every rendition's spec check, and that the presigned links download.
"""

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from admint.contracts.chunks import ChunkRef, ChunksCompleted
from admint.contracts.common import CostEntry, FrameSize
from admint.contracts.export import ExportCompleted
from admint.contracts.generation import GenerationCompleted, GenerationSpec
from admint.contracts.stitch import StitchCompleted
from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.docstore import GenerationRepository
from admint.media.probe import probe
from tests.support import builders
from tests.support.framecode import HEIGHT, WIDTH, decode, make_clip, read_frames
from tests.support.processes import ServiceProcess, running
from tests.support.stack import TestStack
from tests.support.streams import events_until_done

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(stack: TestStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServiceProcess]]:
    logs = tmp_path_factory.mktemp("stitch-export-logs")
    env = {**stack.env, "ADMINT_LOG_LEVEL": "INFO", "ADMINT_WORKDIR": str(logs / "work")}
    procs = [ServiceProcess(m, env, logs) for m in ("admint.stitcher", "admint.exporter")]
    with running(procs):
        yield procs


async def chunks(gid: str, blobs: BlobStore, tmp: Path) -> list[ChunkRef]:
    """Beats of 5 s with 0.5 s crossfades: beat 0 in one chunk, beat 1 in two (as a 3 s model cuts it), beat 2."""
    layout = [[165], [90, 75], [150]]
    refs = []
    for b, sizes in enumerate(layout):
        for c, n in enumerate(sizes):
            path = await asyncio.to_thread(make_clip, tmp / f"{b}-{c}.mp4", 4 * b + c + 1, n)
            ref = await blobs.put_file(keys.chunk_key(gid, b, c), path, "video/mp4")
            refs.append(ChunkRef(beat_index=b, chunk_index=c, video=ref, duration_s=n / 30))
    return refs


async def test_chunks_become_a_master_with_music_and_checked_renditions_with_working_links(
    services: list[ServiceProcess], js: object, docs: GenerationRepository, blobs: BlobStore, gid: str,
    tmp_path: Path,
) -> None:
    plan = builders.plan(15)
    spec = GenerationSpec(brief="integration ad", duration_s=15, size=FrameSize(width=WIDTH, height=HEIGHT),
                          renditions=["1:1", "16:9"], seed=3)
    await docs.create(builders.generation(gid, owner="stitch-test", spec=spec, plan=plan))
    assert await docs.enter(gid, "chunking")
    await docs.record_cost(gid, CostEntry(key="chunk:0-0", stage="chunking", model="wan-i2v", units=5, usd=0.45))
    event = ChunksCompleted(generation_id=gid, producer="chunker", spec=spec, plan=plan,
                            chunks=await chunks(gid, blobs, tmp_path))
    await js.publish(event.subject, event.model_dump_json().encode(),  # type: ignore[attr-defined]
                     headers={"Nats-Msg-Id": event.msg_id})
    seen = await events_until_done(js, gid)

    assert [e.type for e in seen if e.TERMINAL] == ["generation.completed.v1"], [
        getattr(e, "reason", e.type) for e in seen]
    (stitched,) = [e for e in seen if isinstance(e, StitchCompleted)]
    (exported,) = [e for e in seen if isinstance(e, ExportCompleted)]
    (done,) = [e for e in seen if isinstance(e, GenerationCompleted)]

    # the master: exactly 15 s, frames in order, a music bed
    assert stitched.has_audio and stitched.music_model == "offline-music" and stitched.music_error is None
    master = await blobs.get_file(stitched.master.key, tmp_path / "master.mp4")
    info = await probe(master)
    assert info.frames == 450 and info.faststart
    assert (info.audio_codec, info.audio_rate) == ("aac", 48000)
    ids = [decode(f) for f in read_frames(master)]
    assert ids[:150] == [(1, i) for i in range(150)]
    assert ids[165:255] == [(5, i) for i in range(15, 90)] + [(6, i) for i in range(15)]
    assert ids[315:] == [(9, i) for i in range(15, 150)]

    # renditions: master first, all pass the spec check, links download the stored bytes
    assert (exported.renditions[0].aspect, exported.renditions[0].method) == ("9:16", "master")
    assert {r.aspect for r in exported.renditions} == {"9:16", "1:1", "16:9"}
    async with httpx.AsyncClient(timeout=30) as client:
        for r in exported.renditions:
            assert r.spec_check.passed, (r.aspect, r.spec_check.problems)
            assert r.spec_check.has_audio
            body = (await client.get(r.url)).raise_for_status().content
            assert hashlib.sha256(body).hexdigest() == r.video.sha256
        poster = (await client.get(await blobs.presign_get(exported.poster.key))).raise_for_status()
        assert poster.content[:2] == b"\xff\xd8"  # JPEG

    assert done.total_cost_usd == pytest.approx(0.45)
    assert done.duration_s == pytest.approx(15.0, abs=1 / 30)
    doc = await docs.get(gid)
    assert doc is not None and doc.status == "completed" and doc.total_cost_usd == pytest.approx(0.45)
    assert doc.master is not None and doc.master.frames == 450 and doc.master.video == stitched.master
    assert doc.exports is not None and doc.exports.passed is True
    assert len(doc.exports.renditions) == 3 and set(doc.exports.spec_checks) == {"9x16", "1x1", "16x9"}
