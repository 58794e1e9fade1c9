"""Encode slots: at most N chunk encodes at once per process, a freed slot to the longest chain of chunks left."""

import asyncio

import pytest

from admint.chunker.scheduling import PrioritySlots, chain_left_s, default_slots
from tests.unit.chunker.test_encoder import chunk_requests

pytestmark = pytest.mark.unit


async def test_a_freed_slot_goes_to_the_longest_chain_then_first_come() -> None:
    slots = PrioritySlots(1)
    started: list[str] = []
    release = asyncio.Event()

    async def encode(name: str, priority: float) -> None:
        async with slots.hold(priority):
            started.append(name)
            await release.wait()

    first = asyncio.create_task(encode("first", 1.0))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(encode(n, p)) for n, p in (("short", 2.0), ("long", 9.0), ("long-later", 9.0))]
    await asyncio.sleep(0.01)
    assert started == ["first"] and slots.held == 1 and slots.waiting == 3
    release.set()
    await asyncio.gather(first, *rest)
    assert started == ["first", "long", "long-later", "short"]
    assert slots.held == 0


async def test_no_more_than_the_limit_at_once() -> None:
    slots = PrioritySlots(2)
    running, peak = 0, 0

    async def encode(priority: float) -> None:
        nonlocal running, peak
        async with slots.hold(priority):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.005)
            running -= 1

    await asyncio.gather(*(encode(i % 3) for i in range(9)))
    assert peak == 2 and slots.held == 0


async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    slots = PrioritySlots(1)
    release = asyncio.Event()
    order: list[str] = []

    async def encode(name: str, priority: float) -> None:
        async with slots.hold(priority):
            order.append(name)
            await release.wait()

    holder = asyncio.create_task(encode("holder", 0))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(encode("cancelled", 5))
    other = asyncio.create_task(encode("other", 1))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    release.set()
    await asyncio.gather(holder, other)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert order == ["holder", "other"] and slots.held == 0 and slots.waiting == 0


def test_chain_left_counts_from_the_chunk_to_its_beat_end() -> None:
    requests = chunk_requests(128)
    first, tail = requests[(0, 0)], requests[(0, 1)]
    assert chain_left_s(first) == pytest.approx(first.beat_length_s)
    assert chain_left_s(tail) == pytest.approx(first.beat_length_s - tail.beat_offset_s)
    assert chain_left_s(tail) < chain_left_s(first)


def test_zero_slots_means_one_per_core() -> None:
    assert default_slots(3) == 3
    assert default_slots(0) >= 1
