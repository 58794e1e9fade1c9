"""Two chunker processes on the real local stack: from storyboard.completed.v1 to chunks.completed.v1.

The chunker runs as it does in production (`python -m admint.chunker`, two replicas, one in-flight message
each, offline video model with 2 s chunks so every beat needs three). The test publishes a storyboard built
here (frames stored in S3 first) and reads the generation's events back from the stream.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from admint.contracts.chunks import ChunkCompleted, ChunkRequested, ChunksCompleted
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.core.blobstore import BlobStore
from admint.core.docstore import GenerationRepository
from admint.media.frames import encode_png
from admint.media.probe import probe
from tests.support import builders
from tests.support.processes import ServiceProcess, running
from tests.support.stack import TestStack
from tests.support.streams import events_until_done

pytestmark = pytest.mark.integration

CHUNK_S = 2.0


@pytest.fixture(scope="module")
def chunkers(stack: TestStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServiceProcess]]:
    logs = tmp_path_factory.mktemp("chunker-logs")
    env = {
        **stack.env,
        "ADMINT_OFFLINE_CHUNK_DURATION_S": str(CHUNK_S),
        "ADMINT_MAX_INFLIGHT": "1",
        "ADMINT_LOG_LEVEL": "INFO",
        "ADMINT_WORKDIR": str(logs / "work"),
    }
    procs = [ServiceProcess("admint.chunker", env, logs, name=f"chunker-{i}") for i in range(2)]
    with running(procs):
        yield procs


def frame_png(width: int, height: int, beat: int) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    img = np.stack([(x * 3 + beat * 60) % 256, (y * 2) % 256, np.full_like(x, 90 + 40 * beat)], -1)
    return encode_png(img.astype(np.uint8))


async def storyboard(gid: str, docs: GenerationRepository, blobs: BlobStore) -> StoryboardCompleted:
    spec = builders.spec(15, long_side=128)  # 72×128, three 5 s beats
    plan = builders.plan(15)
    assert await docs.create(builders.generation(gid, owner="chunker-test", spec=spec, plan=plan))
    assert await docs.enter(gid, "storyboarding")
    frames = []
    for beat in plan.beats:
        ref = await blobs.put_bytes(
            keys.storyboard_key(gid, beat.index),
            frame_png(spec.size.width, spec.size.height, beat.index),
            "image/png",
        )
        frames.append(FrameRef(beat_index=beat.index, image=ref))
    return StoryboardCompleted(generation_id=gid, producer="storyboard", spec=spec, plan=plan, frames=frames)


def consumed(proc: ServiceProcess, event_type: str) -> float:
    labels = rf'[^}}]*event_type="{re.escape(event_type)}"[^}}]*outcome="ok"[^}}]*'
    pattern = rf"admint_events_consumed_total\{{{labels}\}} (\S+)"
    return sum(float(v) for v in re.findall(pattern, httpx.get(f"{proc.url}/metrics", timeout=5).text))


async def test_two_chunkers_render_every_beat_in_order(
    chunkers: list[ServiceProcess],
    js: object,
    docs: GenerationRepository,
    blobs: BlobStore,
    gid: str,
    tmp_path: Path,
) -> None:
    before = [consumed(p, "chunk.requested.v1") for p in chunkers]
    event = await storyboard(gid, docs, blobs)
    await js.publish(
        event.subject,
        event.model_dump_json().encode(),  # type: ignore[attr-defined]
        headers={"Nats-Msg-Id": event.msg_id},
    )
    seen = await events_until_done(
        js, gid, timeout_s=180, until=frozenset({"chunks.completed.v1", "generation.failed.v1"})
    )

    failed = [e for e in seen if e.type == "generation.failed.v1"]
    assert not failed, failed
    requested = [e for e in seen if isinstance(e, ChunkRequested)]
    completed = [e for e in seen if isinstance(e, ChunkCompleted)]
    (final,) = [e for e in seen if isinstance(e, ChunksCompleted)]

    # right count per beat: 5.5 s, 5.5 s and 5 s beats on a 2 s model → 3 chunks each, the last one shorter
    assert sorted((e.beat_index, e.chunk_index) for e in requested) == [
        (b, c) for b in range(3) for c in range(3)
    ]
    assert [(c.beat_index, c.chunk_index) for c in final.chunks] == [
        (b, c) for b in range(3) for c in range(3)
    ]
    assert [round(c.duration_s, 3) for c in final.chunks] == [2.0, 2.0, 1.5, 2.0, 2.0, 1.5, 2.0, 2.0, 1.0]

    # continuity: the first chunks of all beats are requested together, before anything completes; each later
    # chunk only after the one before it completed, starting from that chunk's last frame
    first_requests = [seen.index(e) for e in requested if e.chunk_index == 0]
    assert max(first_requests) < min(seen.index(e) for e in completed)
    for req in (e for e in requested if e.chunk_index > 0):
        prev = next(
            e for e in completed if (e.beat_index, e.chunk_index) == (req.beat_index, req.chunk_index - 1)
        )
        assert seen.index(prev) < seen.index(req)
        assert req.init_frame == prev.last_frame
        assert req.beat_offset_s == pytest.approx(CHUNK_S * req.chunk_index)

    # every object is stored once, in the house format, and the document lists it
    assert len(await blobs.list_keys(f"generations/{gid}/chunks/")) == 18
    path = tmp_path / "2-2.mp4"
    await blobs.get_file(keys.chunk_key(gid, 2, 2), path)
    info = await probe(path)
    assert (info.frames, info.width, info.height, info.profile, info.has_audio) == (
        30,
        72,
        128,
        "High",
        False,
    )
    doc = await docs.get(gid)
    assert doc is not None
    assert sorted(doc.chunking.chunks) == sorted(f"{b}-{c}" for b in range(3) for c in range(3))
    assert sorted(doc.chunking.done) == sorted(doc.chunking.chunks)
    assert doc.chunking.beats == {"0": 3, "1": 3, "2": 3}
    assert doc.chunking.chunks["2-2"].duration_s == pytest.approx(1.0)
    assert len([k for k in doc.costs if k.startswith("chunk:")]) == 9

    # the two replicas shared the work items
    shares = [consumed(p, "chunk.requested.v1") - b for p, b in zip(chunkers, before, strict=True)]
    print(f"chunk.requested handled per chunker process: {shares}")
    assert sum(shares) >= 9 and all(share >= 1 for share in shares), shares
