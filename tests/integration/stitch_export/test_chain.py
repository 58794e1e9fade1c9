"""From storyboard.completed.v1 to generation.completed.v1 through chunker, stitcher and exporter processes.

Storyboard frames come from the offline image model, chunks from the offline video model (captions and the
call-to-action burnt in by the chunker); the master must come out at the plan's exact length with its music bed,
every rendition must pass the spec check. ADMINT_TEST_CHAIN_LONG_SIDE renders bigger, to look at the frames
(run with --basetemp to keep them).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from admint.contracts.export import ExportCompleted
from admint.contracts.stitch import StitchCompleted
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.docstore import GenerationRepository
from admint.media.probe import probe
from admint.providers.ports import ImageRequest
from admint.storyboard.offline_image import OfflineImageModel
from tests.support import builders
from tests.support.processes import ServiceProcess, running
from tests.support.stack import TestStack
from tests.support.streams import events_until_done

pytestmark = pytest.mark.integration
LONG_SIDE = int(os.environ.get("ADMINT_TEST_CHAIN_LONG_SIDE", "320"))


@pytest.fixture(scope="module")
def chain(stack: TestStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServiceProcess]]:
    logs = tmp_path_factory.mktemp("chain-logs")
    env = {**stack.env, "ADMINT_LOG_LEVEL": "INFO", "ADMINT_WORKDIR": str(logs / "work")}
    procs = [ServiceProcess(m, env, logs) for m in ("admint.chunker", "admint.stitcher", "admint.exporter")]
    with running(procs):
        yield procs


async def test_storyboard_to_exported_ad(
    chain: list[ServiceProcess], js: object, docs: GenerationRepository, blobs: BlobStore, gid: str,
    tmp_path: Path,
) -> None:
    spec = builders.spec(15, long_side=LONG_SIDE, renditions=["1:1"])
    plan = builders.plan(15)
    await docs.create(builders.generation(gid, owner="chain-test", spec=spec, plan=plan))
    assert await docs.enter(gid, "storyboarding")
    model = OfflineImageModel()
    frames = []
    for beat in plan.beats:
        image = await model.render(ImageRequest(beat=beat, style=plan.style, size=spec.size, seed=spec.seed,
                                                product=plan.product))
        ref = await blobs.put_bytes(keys.storyboard_key(gid, beat.index), image.png, "image/png")
        frames.append(FrameRef(beat_index=beat.index, image=ref))
    event = StoryboardCompleted(generation_id=gid, producer="storyboard", spec=spec, plan=plan, frames=frames)
    await js.publish(event.subject, event.model_dump_json().encode(),  # type: ignore[attr-defined]
                     headers={"Nats-Msg-Id": event.msg_id})
    seen = await events_until_done(js, gid, timeout_s=480)

    assert [e.type for e in seen if e.TERMINAL] == ["generation.completed.v1"], [
        getattr(e, "reason", e.type) for e in seen]
    (stitched,) = [e for e in seen if isinstance(e, StitchCompleted)]
    (exported,) = [e for e in seen if isinstance(e, ExportCompleted)]
    master = await blobs.get_file(stitched.master.key, tmp_path / "master.mp4")
    info = await probe(master)
    assert abs(info.frames - 15 * spec.fps) <= 1
    assert info.has_audio and info.audio_rate == 48000 and info.faststart
    assert (info.width, info.height) == (spec.size.width, spec.size.height)
    doc = await docs.get(gid)
    assert doc is not None and doc.master is not None and doc.master.encoded_frames < 0.2 * doc.master.frames
    for r in exported.renditions:
        assert r.spec_check.passed, (r.aspect, r.spec_check.problems)
        await blobs.get_file(r.video.key, tmp_path / f"{keys.rendition_name(r.aspect)}.mp4")
