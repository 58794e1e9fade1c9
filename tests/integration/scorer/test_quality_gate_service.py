"""The quality gate on the real bus: a chunker and a scorer process on the local stack, the chaos knob blurring
every clip of beat 1 rendered with the request's seed.

The blurred chunks score under the threshold, are rendered again with a new seed (visible as chunk.requested
take 1, its own cost entry and a progress note), the sharp take passes and is the one handed to the stitcher.
Every stored take is scored exactly once; stitching starts only after the kept takes' scores are in.
"""

import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest

from admint.contracts.chunks import ChunkRequested, ChunksCompleted
from admint.contracts.generation import StageProgress
from admint.contracts.quality import QualityScored
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.docstore import GenerationRepository
from admint.core.document import FrameEntry
from admint.media.frames import encode_png
from tests.support import builders
from tests.support.degrade import textured_storyboard
from tests.support.processes import ServiceProcess, running
from tests.support.stack import TestStack
from tests.support.streams import read_events

pytestmark = pytest.mark.integration
THRESHOLD = 72.0
"""Sharp offline chunks of these frames score ~85–93 at 180×320, blurred ones ~55–60 (measured, docs/quality.md)."""
SEED = 7  # builders.spec's


@pytest.fixture(scope="module")
def workers(stack: TestStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServiceProcess]]:
    logs = tmp_path_factory.mktemp("gate-logs")
    env = {**stack.env, "ADMINT_OFFLINE_CHUNK_DURATION_S": "5", "ADMINT_MAX_INFLIGHT": "2",
           "ADMINT_WORKDIR": str(logs / "work"), "ADMINT_QUALITY_MAX_RETAKES": "2",
           "ADMINT_CHAOS": json.dumps({"video": {"blur_seed": SEED, "blur_beat": 1}})}
    procs = [ServiceProcess("admint.chunker", env, logs, name="chunker-0"),
             ServiceProcess("admint.scorer", env, logs, name="scorer-0")]
    with running(procs):
        yield procs


async def storyboard(gid: str, docs: GenerationRepository, blobs: BlobStore) -> StoryboardCompleted:
    spec = builders.spec(15, long_side=320, quality_threshold=THRESHOLD)  # 180×320, three 5 s beats
    plan = builders.plan(15)
    assert await docs.create(builders.generation(gid, owner="gate-test", spec=spec, plan=plan))
    assert await docs.enter(gid, "storyboarding")
    frames = []
    for beat in plan.beats:
        png = encode_png(textured_storyboard(spec.size.width, spec.size.height, palette=beat.index % 2))
        ref = await blobs.put_bytes(keys.storyboard_key(gid, beat.index), png, "image/png")
        await docs.record_frame(gid, beat.index, FrameEntry(image=ref, model="offline-image"))
        frames.append(FrameRef(beat_index=beat.index, image=ref))
    return StoryboardCompleted(generation_id=gid, producer="storyboard", spec=spec, plan=plan, frames=frames)


async def test_blurred_chunks_are_rendered_again_and_the_kept_take_passes(
    workers: list[ServiceProcess], js: object, docs: GenerationRepository, blobs: BlobStore, gid: str,
) -> None:
    event = await storyboard(gid, docs, blobs)
    await js.publish(event.subject, event.model_dump_json().encode(),  # type: ignore[attr-defined]
                     headers={"Nats-Msg-Id": event.msg_id})

    def done(seen: list) -> bool:  # chunks.completed, then every kept take's score (all scored by then)
        return any(e.type in ("chunks.completed.v1", "generation.failed.v1") for e in seen)

    seen = await read_events(js, gid, done, timeout_s=300)
    assert not [e for e in seen if e.type == "generation.failed.v1"]
    [final] = [e for e in seen if isinstance(e, ChunksCompleted)]
    scores = [e for e in seen if isinstance(e, QualityScored)]
    by_take = {(e.item, e.take): e for e in scores}
    assert not [k for k, n in Counter((e.item, e.take) for e in scores).items() if n > 1]  # each exactly once

    retakes = sorted((e.beat_index, e.chunk_index, e.take) for e in seen if isinstance(e, ChunkRequested) and e.take)
    assert retakes == [(1, 0, 1), (1, 1, 1)], [(k, e.scores.overall if e.scores else None) for k, e in by_take.items()]
    for item in ("1-0", "1-1"):
        blurred, sharp = by_take[item, 0], by_take[item, 1]
        assert blurred.scores is not None and sharp.scores is not None
        assert blurred.scores.overall < THRESHOLD <= sharp.scores.overall
        assert blurred.scores.dimensions["sharpness"] < sharp.scores.dimensions["sharpness"]
    stitched = {f"{c.beat_index}-{c.chunk_index}": c.video.key for c in final.chunks}
    assert stitched["1-0"] == keys.chunk_key(gid, 1, 0, take=1) and stitched["0-0"] == keys.chunk_key(gid, 0, 0)
    for item in stitched:  # every chunk handed on passed, and its score came before the hand-over
        take = 1 if item.startswith("1-") else 0
        assert by_take[item, take].passed and seen.index(by_take[item, take]) < seen.index(final)

    notes = [e.message for e in seen if isinstance(e, StageProgress) and "rendering take" in e.message]
    assert sorted(n.split(":")[0] for n in notes) == ["beat 1 chunk 0", "beat 1 chunk 1"], notes
    doc = await docs.get(gid)
    assert doc is not None and doc.chunking.chunks["1-1"].take == 1
    assert {"chunk:1-0", "chunk:1-0:t1", "chunk:1-1", "chunk:1-1:t1"} <= set(doc.costs)
    assert doc.unscored() == []
    assert await blobs.exists(keys.chunk_key(gid, 1, 0)) and await blobs.exists(keys.chunk_key(gid, 1, 0, take=1))

    # the scores as Prometheus histograms, per kind and dimension (and what scoring cost)
    metrics = workers[1].metrics()

    def count(name: str, **labels: str) -> float:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        found = re.findall(rf"^{name}_count{{{re.escape(inner)}}} (\S+)$", metrics, re.M)
        return float(found[0]) if found else 0.0

    assert count("admint_quality_score", dimension="overall", kind="chunk") >= 7
    assert count("admint_quality_score", dimension="sharpness", kind="chunk") >= 7
    assert count("admint_scorer_cpu_seconds", kind="chunk") >= 7
