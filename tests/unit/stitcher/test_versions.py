"""A later version on the stitcher's side, with fakes of every port: the base master and its window positions and
its music bed go to the render, the new master has its own key, the music model is not asked again."""

from pathlib import Path

import pytest

from admint.contracts.chunks import ChunkRef
from admint.contracts.stitch import StitchCompleted
from admint.core import keys, steering
from admint.core.document import WindowRecord
from admint.core.steering import BeatChange
from admint.stitcher.handlers import handle_chunks_completed
from tests.unit.stitcher.test_handlers import GID, World, stitched

pytestmark = pytest.mark.unit


async def test_a_later_version_reuses_the_base_windows_and_bed_under_its_own_key(tmp_path: Path) -> None:
    w = World(tmp_path)
    first = await w.start()
    await stitched(first, w.ports)
    doc = await w.docs.get(GID)
    assert doc is not None and doc.master is not None
    windows = [WindowRecord(fingerprint="f0", start=150, frames=15), WindowRecord(fingerprint="f1", start=300,
                                                                                  frames=15)]
    await w.docs.record_master(GID, doc.master.model_copy(update={"windows": windows}))
    w.docs.docs[GID]["plan"] = first.plan.model_dump(mode="json")  # the planner's copy, as a real one has
    w.docs.docs[GID]["status"] = "completed"
    doc = await w.docs.get(GID)
    events = await steering.steer(w.docs, doc, first.plan, [BeatChange(1, "video")], source="regenerate",  # type: ignore[arg-type]
                                  by="o", producer="gateway")
    assert events[-1].ad_version == 2
    new = await w.blobs.put_bytes(keys.chunk_key(GID, 1, 0, version=2), b"chunk 1-0 v2", "video/mp4")
    chunks = [c if c.beat_index != 1 else ChunkRef(beat_index=1, chunk_index=0, video=new, duration_s=5.5)
              for c in first.chunks]
    event = first.model_copy(update={"chunks": chunks, "ad_version": 2})
    music_calls = len(w.fake_music.requests)
    out = await stitched(event, w.ports)
    assert isinstance(out, StitchCompleted) and out.ad_version == 2
    assert out.master.key == keys.master_key(GID, 2) == f"generations/{GID}/v2/master.mp4"
    job = w.encoder.jobs[-1]
    assert job.reuse is not None and [p.fingerprint for p in job.reuse.windows] == ["f0", "f1"]
    assert w.encoder.reused_master == await w.blobs.get_bytes(keys.master_key(GID))
    assert [c.sha256 for c in job.clips] == [c.video.sha256 for c in chunks]
    assert len(w.fake_music.requests) == music_calls  # the bed is reused, not composed again
    doc = await w.docs.get(GID)
    assert doc is not None and doc.ad_version(2).master is not None  # type: ignore[union-attr]
    v2 = doc.ad_version(2).master  # type: ignore[union-attr]
    assert v2.music == doc.master.music and v2.video == out.master  # type: ignore[union-attr]
    assert doc.master.video.key == keys.master_key(GID)  # version 1's master is untouched  # type: ignore[union-attr]
    renders = len(w.encoder.jobs)
    (again,) = await handle_chunks_completed(event, w.ports)  # redelivery: announced, not rendered again
    assert again.msg_id == out.msg_id and len(w.encoder.jobs) == renders
