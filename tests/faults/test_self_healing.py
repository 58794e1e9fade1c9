"""Self-healing fan-ins on the real stack (issue 17): a stage whose inputs are all recorded but whose completion was
never published is found and completed, instead of waiting for its budget to fail it.

The scenario the chaos run found: every storyboard frame was rendered and recorded, but the fan-in's count lost
writes (an early-acknowledging storage backend) and storyboard.completed never went out, so nothing would ever be
redelivered. Here the same state is written directly — frames stored and recorded, no completion in the stream —
and the storyboard service must heal it and the generation must finish, with exactly one storyboard.completed.
"""

import asyncio

import numpy as np
import pytest

from admint.contracts.registry import parse_event
from admint.contracts.subjects import subject_for
from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.bus import connect_nats
from admint.core.docstore import GenerationRepository
from admint.core.document import FrameEntry
from admint.core.mongo import connect
from admint.media.frames import encode_png
from admint.planner.offline import OfflinePlanner
from tests.faults.conftest import audit
from tests.support import builders

pytestmark = pytest.mark.faults


def textured(width: int, height: int, beat: int) -> bytes:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([40 + 150 * y / height, 60 + 30 * beat + 0 * x, 180 - 100 * x / width], -1)
    return encode_png(np.clip(img, 0, 255).astype(np.uint8))


async def stage_a_lost_fan_in(system, gid: str) -> None:  # type: ignore[no-untyped-def]
    settings = system.settings
    spec = builders.spec(15, long_side=240)
    plan = await OfflinePlanner().plan(spec)
    mongo = connect(settings.mongo_url)
    docs = GenerationRepository(mongo[settings.mongo_db])
    blobs = BlobStore.from_settings(settings)
    try:
        await docs.create(builders.generation(gid, owner="dev", spec=spec, plan=plan))
        assert await docs.start_storyboard(gid, len(plan.beats), "offline-image")
        for beat in plan.beats:
            ref = await blobs.put_bytes(keys.storyboard_key(gid, beat.index),
                                        textured(spec.size.width, spec.size.height, beat.index), "image/png")
            await docs.record_frame(gid, beat.index, FrameEntry(image=ref, model="offline-image"))
    finally:
        await mongo.close()


async def storyboard_completions(system, gid: str) -> int:  # type: ignore[no-untyped-def]
    nc = await connect_nats(system.settings)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(subject_for(gid, "storyboard.completed.v1"), ordered_consumer=True)
        seen = 0
        while True:
            try:
                parse_event((await sub.next_msg(timeout=2)).data)
                seen += 1
            except TimeoutError:
                return seen
    finally:
        await nc.close()


def test_a_lost_storyboard_fan_in_heals_and_the_ad_completes(system_factory) -> None:
    env = {"ADMINT_HEAL_AFTER_S": "2", "ADMINT_WATCHDOG_INTERVAL_S": "1"}
    with system_factory(env=env) as system:
        gid = "HEAL" + builders.GID[4:]
        asyncio.run(stage_a_lost_fan_in(system, gid))
        status = system.wait_terminal([gid], timeout_s=240)[gid]
        assert status == "completed", system.status(gid).get("error")
        assert asyncio.run(storyboard_completions(system, gid)) == 1  # healed once, never duplicated
        audit(system, [gid], "lost fan-in healed")
