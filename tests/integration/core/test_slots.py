"""Cluster-wide concurrency slots against a real MongoDB-wire server, with two SharedSlots as two replicas."""

import asyncio
import uuid

import pytest

from admint.core.docstore import GenerationRepository
from admint.core.slots import SharedSlots

pytestmark = pytest.mark.integration


def _name() -> str:
    return f"test-model-{uuid.uuid4().hex[:8]}"


async def test_two_replicas_together_never_exceed_the_capacity(docs: GenerationRepository) -> None:
    replicas = [SharedSlots(docs.db.provider_slots, poll_s=0.02) for _ in range(2)]
    name, running, peak, done = _name(), 0, 0, 0

    async def call(slots: SharedSlots) -> None:
        nonlocal running, peak, done
        async with slots.hold(name, 2):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.1)
            running -= 1
        done += 1

    await asyncio.wait_for(asyncio.gather(*(call(replicas[i % 2]) for i in range(8))), timeout=60)
    assert (peak, done) == (2, 8)
    free = await docs.db.provider_slots.count_documents({"name": name, "holder": None})
    assert free == 2  # every slot handed back


async def test_a_held_slot_is_renewed_and_a_dead_holders_slot_comes_back_after_its_lease(
    docs: GenerationRepository,
) -> None:
    name = _name()
    holder = SharedSlots(docs.db.provider_slots, lease_s=0.6, poll_s=0.02)
    other = SharedSlots(docs.db.provider_slots, lease_s=0.6, poll_s=0.02)
    other_got_it = asyncio.Event()

    async def wait_for_slot() -> None:
        async with other.hold(name, 1):
            other_got_it.set()

    async with holder.hold(name, 1):
        waiter = asyncio.create_task(wait_for_slot())
        await asyncio.sleep(1.5)  # well past one lease: only renewal keeps the slot ours
        assert not other_got_it.is_set()
    await asyncio.wait_for(waiter, timeout=10)  # released at once on exit

    # a replica that died while holding: its lease is never renewed nor released
    await docs.db.provider_slots.update_one(
        {"_id": f"{name}:0"}, {"$set": {"holder": "dead-replica", "expires_at": holder.clock() + 0.5}}
    )
    async with asyncio.timeout(10):
        async with other.hold(name, 1):
            doc = await docs.db.provider_slots.find_one({"_id": f"{name}:0"})
            assert doc is not None and doc["holder"] != "dead-replica"
