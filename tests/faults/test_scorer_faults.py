"""kill -9 the scorer mid-run: every score still arrives exactly once, and a quality gate waiting for one goes on.

Four generations (one with a quality threshold and the chaos knob blurring its beat 1, so its chunking waits for
scores and re-renders): the scorer is killed while it scores chunks and again while it scores masters, work
arrives while it is down, and it is started again. At the end every stored video (each chunk take, master and
re-encoded rendition) has exactly one recorded score and exactly one quality.scored event.
"""

import asyncio
import json
import time
from collections import Counter
from typing import Any

import pytest

from admint.contracts.quality import QualityScored
from tests.faults.conftest import System, audit
from tests.support.audit import stream_events

pytestmark = pytest.mark.faults
GATED_SEED = 31


def scores_in(system: System, gid: str) -> bool:
    quality = system.status(gid)["quality"]
    return bool(quality["chunks"]) and not quality["pending"] and quality["master"] is not None


async def scored_events(system: System, gid: str) -> list[QualityScored]:
    from admint.core.bus import connect_nats

    nc = await connect_nats(system.settings)
    try:
        return [e for e in await stream_events(nc.jetstream(), gid) if isinstance(e, QualityScored)]
    finally:
        await nc.close()


def test_kill_9_the_scorer_mid_run_every_score_arrives_exactly_once(system_factory: Any) -> None:
    env = {"ADMINT_ACK_WAIT_S": "8", "ADMINT_CHAOS": json.dumps({"video": {"blur_seed": GATED_SEED,
                                                                           "blur_beat": 1}})}
    with system_factory(env=env) as system:
        scorer = system.stack.services["scorer-0"]
        ids = system.submit(2, seed=40, renditions=["1:1"])
        ids += system.submit(1, seed=GATED_SEED, quality_threshold=70)
        system.wait_for(ids[0], lambda d: len(d["quality"]["chunks"]) >= 1, timeout_s=120)
        scorer.kill()  # while it scores chunks (and the gated generation waits for its scores)
        ids += system.submit(1, seed=50)
        time.sleep(3)
        scorer.start()
        system.wait_for(ids[0], lambda d: d["status"] == "completed", timeout_s=300)
        scorer.kill()  # around the masters and renditions
        time.sleep(2)
        scorer.start()
        statuses = system.wait_terminal(ids, timeout_s=420)
        assert set(statuses.values()) == {"completed"}, system.explain(statuses)
        for gid in ids:
            system.wait_for(gid, lambda d: not d["quality"]["pending"], timeout_s=180)
        report = audit(system, ids, "kill -9 the scorer")
        assert report["duplicates"] == 0

        for gid in ids:
            view = system.status(gid)
            quality = view["quality"]
            events = asyncio.run(scored_events(system, gid))
            announced = Counter((e.kind, e.item, e.take) for e in events)
            assert all(n == 1 for n in announced.values()), (gid, announced)
            recorded = {("chunk", f"{c['beat_index']}-{c['chunk_index']}", c["take"]) for c in quality["chunks"]}
            recorded.add(("master", "master", 0))
            recorded |= {("rendition", r["aspect"].replace(":", "x"), 0) for r in quality["renditions"]
                         if r["aspect"] != view["spec"]["aspect"]}
            assert set(announced) == recorded, (gid, sorted(set(announced) ^ recorded))
            assert all(c["overall"] is not None for c in quality["chunks"]) and quality["master"]["overall"]
        gated = system.status(ids[2])["quality"]["chunks"]
        beat_1 = {(c["beat_index"], c["chunk_index"]) for c in gated if c["beat_index"] == 1}
        for chunk in beat_1:  # the blurred first take was rendered again; the kept take passes (or was the best)
            takes = [c for c in gated if (c["beat_index"], c["chunk_index"]) == chunk]
            [kept] = [c for c in takes if c["kept"]]
            assert len(takes) >= 2 and (kept["overall"] >= 70 or len(takes) == 3), takes
