"""Members of a generation group share identical storyboard frames: the first renders, the others copy."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from admint.contracts.storyboard import FrameCompleted, FrameRequested
from admint.storyboard import board
from admint.storyboard.handlers import handle_frame_completed, handle_frame_requested, handle_plan_completed
from admint.storyboard.ports import Ports
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.unit.storyboard.fakes import FakeFrameCodec, FakeImageModel
from tests.unit.storyboard.test_handlers import plan_completed

pytestmark = pytest.mark.unit
MEMBERS = ["GEN01MEMBERA", "GEN01MEMBERB"]


class Locks:
    """One holder per name at a time (what SharedSlots.hold(name, 1) gives across replicas)."""

    def __init__(self) -> None:
        self.locks: dict[str, asyncio.Lock] = {}
        self.taken: list[str] = []

    @contextlib.asynccontextmanager
    async def __call__(self, name: str) -> AsyncIterator[None]:
        self.taken.append(name)
        async with self.locks.setdefault(name, asyncio.Lock()):
            yield


async def member_requests(ports: Ports, gid: str, group: str | None, **spec: object) -> list[FrameRequested]:
    event = plan_completed(**spec).model_copy(update={"generation_id": gid})  # type: ignore[arg-type]
    await ports.docs.create(builders.generation(gid, status="planning", spec=event.spec, plan=event.plan,
                                                group_id=group))
    return [e for e in await handle_plan_completed(event, ports) if isinstance(e, FrameRequested)]


async def test_identical_frames_are_rendered_once_per_group_and_copied_by_the_others() -> None:
    image, locks = FakeImageModel(price=0.003), Locks()
    ports = Ports(docs=FakeGenerationStore(), blobs=FakeObjectStore(), image=image, codec=FakeFrameCodec(),
                  frame_lock=locks)
    a, b = [await member_requests(ports, gid, "GRP1") for gid in MEMBERS]
    # both members at once, as a group's members are: they take turns per frame
    done = await asyncio.gather(*(handle_frame_requested(r, ports) for r in [*a, *b]))
    assert len(image.requests) == len(a)  # every frame rendered once for the two members
    frames_b = [d for [d] in done[len(a):] if isinstance(d, FrameCompleted)]
    assert len(frames_b) == len(b) and all(f.cost_usd == 0.0 for f in frames_b)
    for completed in frames_b:  # the fan-in records what the frame event says: the copy stays a copy
        await handle_frame_completed(completed, ports)
    doc_b = await ports.docs.get(MEMBERS[1])
    assert doc_b is not None and {f.reused_from for f in doc_b.storyboard.frames.values()} == {MEMBERS[0]}
    assert doc_b.costs["storyboard:0"].usd == 0.0
    doc_a = await ports.docs.get(MEMBERS[0])
    assert doc_a is not None
    assert [ports.blobs.objects[f.image.key][0] for f in doc_b.storyboard.frames.values()] == [  # type: ignore[attr-defined]
        ports.blobs.objects[f.image.key][0] for f in doc_a.storyboard.frames.values()]  # type: ignore[attr-defined]
    assert len(set(locks.taken)) == len(a)


async def test_what_an_image_model_reads_decides_whether_a_frame_is_shared() -> None:
    [first] = (await member_requests(Ports(FakeGenerationStore(), FakeObjectStore(), FakeImageModel(),
                                           FakeFrameCodec()), "G1", None))[:1]
    same = board.frame_fingerprint(first, "offline-image")
    recaptioned = first.model_copy(update={"beat": first.beat.model_copy(update={"caption": "Other words"})})
    assert board.frame_fingerprint(recaptioned, "offline-image") == same  # captions are burnt in later
    reprompted = first.model_copy(update={"beat": first.beat.model_copy(update={"prompt": "a cat"})})
    reseeded = first.model_copy(update={"spec": first.spec.model_copy(update={"seed": 10})})
    assert len({same, board.frame_fingerprint(reprompted, "offline-image"),
                board.frame_fingerprint(reseeded, "offline-image"), board.frame_fingerprint(first, "flux")}) == 4


async def test_generations_outside_a_group_never_share() -> None:
    image = FakeImageModel()
    ports = Ports(docs=FakeGenerationStore(), blobs=FakeObjectStore(), image=image, codec=FakeFrameCodec())
    for gid in MEMBERS:
        for request in await member_requests(ports, gid, None):
            await handle_frame_requested(request, ports)
    assert len(image.requests) == 2 * len(await member_requests(ports, "GEN01OTHER", None))
    assert not [k for k in ports.blobs.objects if k.startswith("groups/")]  # type: ignore[attr-defined]
