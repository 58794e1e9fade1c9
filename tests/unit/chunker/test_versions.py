"""A later version on the chunker's side, with fakes of every port: only the changed beat's chunks are rendered
(under the version's keys, with the version's seed), every other chunk is reused, the cards follow."""

from pathlib import Path

import pytest

from admint.chunker.handlers import handle_storyboard_completed
from admint.contracts.chunks import ChunkCompleted, ChunkRequested, ChunksCompleted
from admint.contracts.interactive import BeatUpdated, VersionRequested
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys, steering
from admint.core.steering import BeatChange
from tests.unit.chunker.test_handlers import GID, ITEMS, drive, parts, setup

pytestmark = pytest.mark.unit


async def completed_ad(tmp_path: Path):  # type: ignore[no-untyped-def]
    ports, event = await setup(tmp_path)
    await drive(ports, event)
    docs, _, video, _ = parts(ports)
    await docs.enter(GID, "completed")
    video.requests.clear()
    return ports, event


async def test_a_new_version_renders_only_the_changed_beat_and_reuses_every_other_chunk(tmp_path: Path) -> None:
    ports, first = await completed_ad(tmp_path)
    docs, blobs, video, _ = parts(ports)
    doc = await docs.get(GID)
    assert doc is not None and doc.plan is not None
    events = await steering.steer(docs, doc, doc.plan, [BeatChange(1, "video")], source="regenerate", by="o",
                                  producer="gateway")
    request = events[-1]
    assert isinstance(request, VersionRequested)
    seed = request.beats[0].seed
    version_board = StoryboardCompleted(generation_id=GID, producer="storyboard", spec=first.spec, plan=request.plan,
                                        frames=[FrameRef(beat_index=f.beat_index, image=f.image) for f in first.frames],
                                        ad_version=2)
    seen = await drive(ports, version_board)
    requested = [e for e in seen if isinstance(e, ChunkRequested)]
    assert [(r.beat_index, r.chunk_index) for r in requested] == [(1, 0), (1, 1)]
    assert {r.seed for r in requested} == {seed} and {r.ad_version for r in requested} == {2}
    assert {v.seed for v in video.requests} == {seed} and len(video.requests) == 2
    (final,) = [e for e in seen if isinstance(e, ChunksCompleted)]
    assert final.ad_version == 2 and [(c.beat_index, c.chunk_index) for c in final.chunks] == [
        (0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]
    assert [c.video.key for c in final.chunks] == [
        keys.chunk_key(GID, 0, 0), keys.chunk_key(GID, 0, 1), keys.chunk_key(GID, 1, 0, version=2),
        keys.chunk_key(GID, 1, 1, version=2), keys.chunk_key(GID, 2, 0)]
    assert keys.chunk_key(GID, 1, 0, version=2) == f"generations/{GID}/v2/chunks/1-0.mp4"
    assert await blobs.exists(keys.last_frame_key(GID, 1, 1, version=2))
    cards = [(e.beat_index, e.state) for e in seen if isinstance(e, BeatUpdated)]
    assert cards == [(1, "rendering"), (1, "video_ready")]
    doc = await docs.get(GID)
    assert doc is not None
    v2 = doc.ad_version(2)
    assert v2 is not None and sorted(v2.chunking.done) == ITEMS and v2.chunking.planned is not None
    assert v2.chunking.planned.chunk_duration_s == doc.chunking.planned.chunk_duration_s  # type: ignore[union-attr]
    assert sorted(k for k in doc.costs if k.startswith("v2:")) == ["v2:chunk:1-0", "v2:chunk:1-1"]
    assert doc.chunking.chunks["1-0"].video.key == keys.chunk_key(GID, 1, 0)  # version 1 untouched
    # a redelivered version chunk is announced, not rendered again
    renders = len(video.requests)
    again = [e for e in seen if isinstance(e, ChunkCompleted)]
    assert again and len(video.requests) == renders
    assert await handle_storyboard_completed(version_board, ports) != []  # redelivery re-announces, renders nothing
    assert len(video.requests) == renders


async def test_version_work_stops_once_the_version_has_failed(tmp_path: Path) -> None:
    ports, first = await completed_ad(tmp_path)
    docs, _, video, _ = parts(ports)
    doc = await docs.get(GID)
    events = await steering.steer(docs, doc, doc.plan, [BeatChange(0, "video")], source="regenerate",  # type: ignore[arg-type]
                                  by="o", producer="gateway")
    assert isinstance(events[-1], VersionRequested)
    await docs.fail_version(GID, 2, "chunking", "gave up")
    board = first.model_copy(update={"ad_version": 2})
    assert await handle_storyboard_completed(board, ports) == []
    assert video.requests == []
