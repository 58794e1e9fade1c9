"""A later version on the exporter's side, with fakes of every port: its own keys, its own cost, then it is the
ad's newest version (version.completed, never a second generation.completed)."""

from pathlib import Path

import pytest

from admint.contracts.common import CostEntry
from admint.contracts.export import ExportCompleted
from admint.contracts.interactive import VersionCompleted
from admint.core import keys, steering
from admint.core.steering import BeatChange
from admint.exporter.handlers import handle_stitch_completed
from tests.unit.exporter.test_handlers import GID, MASTER, World

pytestmark = pytest.mark.unit


async def test_a_later_version_is_exported_under_its_own_keys_and_becomes_the_newest(tmp_path: Path) -> None:
    w = World(tmp_path)
    first = await w.start(renditions=["1:1"])
    await handle_stitch_completed(first, w.ports)
    doc = await w.docs.get(GID)
    assert doc is not None and doc.status == "completed" and doc.plan is not None
    await steering.steer(w.docs, doc, doc.plan, [BeatChange(0, "video")], source="regenerate", by="o",
                         producer="gateway")
    await w.docs.record_cost(GID, CostEntry(key=keys.cost_key("chunk:0-0", 2), stage="chunking", model="m", usd=0.5))
    v2_master = await w.blobs.put_bytes(keys.master_key(GID, 2), MASTER + b" v2", "video/mp4")
    event = first.model_copy(update={"master": v2_master, "ad_version": 2})
    exported, done = await handle_stitch_completed(event, w.ports)
    assert isinstance(exported, ExportCompleted) and isinstance(done, VersionCompleted)
    assert done.ad_version == 2 and done.master == v2_master and done.cost_usd == pytest.approx(0.5)
    assert [r.video.key for r in exported.renditions] == [keys.export_key(GID, "9:16", 2),
                                                          keys.export_key(GID, "1:1", 2)]
    assert await w.blobs.get_bytes(keys.export_key(GID, "9:16", 2)) == MASTER + b" v2"
    assert await w.blobs.get_bytes(keys.export_key(GID, "9:16")) == MASTER  # version 1 untouched
    assert exported.poster.key == keys.poster_key(GID, 2) == f"generations/{GID}/v2/exports/poster.jpg"
    doc = await w.docs.get(GID)
    assert doc is not None and doc.latest_version == 2 and doc.rendering_version == 0
    assert doc.version_cost(1) == pytest.approx(0.35) and doc.version_cost(2) == pytest.approx(0.5)
    again = await handle_stitch_completed(event, w.ports)  # redelivery: the same announcements, fresh links
    assert [e.msg_id for e in again] == [exported.msg_id, done.msg_id]
