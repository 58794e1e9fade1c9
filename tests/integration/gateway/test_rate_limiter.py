"""The shared GCRA limiter against the real Mongo-wire server under heavy concurrency (issue 17).

Racing requests of one key must never be refused for losing a race to each other: only a key that is really
over its limit gets a Retry-After, and a burst gets exactly the limit, whether it hits one replica or several.
"""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from admint.core.mongo import Database, connect
from admint.core.settings import CoreSettings
from admint.gateway.limits import NS, SharedRateLimiter, gcra

pytestmark = pytest.mark.integration
NOW = 1_754_000_000.123  # a fixed wall clock: exact counts must not depend on how fast the burst runs


@pytest.fixture
async def db(bootstrapped: CoreSettings) -> AsyncIterator[Database]:
    client = connect(bootstrapped.mongo_url)
    yield client[bootstrapped.mongo_db]
    await client.close()


def fresh_key() -> str:
    return f"limiter-{uuid.uuid4().hex}"


@pytest.mark.parametrize("hits", [100, 200])
async def test_concurrent_hits_far_below_a_high_limit_are_all_allowed(
    db: Database, hits: int
) -> None:
    """The chaos run's case: a 100 000/min key, a hundred-odd requests at once, on the real clock."""
    limiter, key = SharedRateLimiter(db), fresh_key()
    answers = await asyncio.gather(*(limiter.hit(key, 100_000) for _ in range(hits)))
    assert Counter(answers) == {None: hits}


@pytest.mark.parametrize("limit", [9, 50])
async def test_a_concurrent_burst_of_three_times_the_limit_gets_exactly_the_limit(
    db: Database, limit: int
) -> None:
    limiter, key = SharedRateLimiter(db, clock=lambda: NOW), fresh_key()
    answers = await asyncio.gather(*(limiter.hit(key, limit) for _ in range(3 * limit)))
    refused = [a for a in answers if a is not None]
    assert len(answers) - len(refused) == limit
    # the bucket is full: the next slot frees one interval (60/limit s) from now, rounded up to whole seconds
    assert set(refused) == {-(-60 // limit)}


async def test_replicas_racing_on_one_key_share_exactly_one_limit(bootstrapped: CoreSettings) -> None:
    """Three replicas, each with its own Mongo connection pool, hammer one key at once."""
    clients = [connect(bootstrapped.mongo_url) for _ in range(3)]
    try:
        limiters = [SharedRateLimiter(c[bootstrapped.mongo_db], clock=lambda: NOW) for c in clients]
        key, limit = fresh_key(), 30
        answers = await asyncio.gather(*(limiters[i % 3].hit(key, limit) for i in range(3 * limit)))
    finally:
        for client in clients:
            await client.close()
    assert answers.count(None) == limit
    assert {a for a in answers if a is not None} == {2}


async def test_retry_after_is_exact_and_the_slot_frees_on_time(db: Database) -> None:
    now = [NOW]
    limiter, key = SharedRateLimiter(db, clock=lambda: now[0]), fresh_key()
    assert [await limiter.hit(key, 3) for _ in range(4)] == [None, None, None, 20]
    now[0] += 19.5
    assert await limiter.hit(key, 3) == 1  # half a second early
    now[0] += 0.5
    assert await limiter.hit(key, 3) is None
    assert await limiter.hit(key, 3) == 20
    now[0] += 3600  # a long-idle key is as fresh as a new one: a whole burst again
    again = await asyncio.gather(*(limiter.hit(key, 3) for _ in range(4)))
    assert sorted(again, key=str) == [20, None, None, None]
    stored = await db.request_rates.find_one({"_id": key})
    assert stored is not None and isinstance(stored["tat"], int)  # integer nanoseconds, no float rounding


class SteppingClock:
    """A wall clock that moves `step` seconds at every reading after the first of each hit (a steady client)."""

    def __init__(self, step: float) -> None:
        self.now, self.step = NOW, step

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += self.step


async def test_a_busy_key_far_below_its_limit_spends_leased_cells_without_a_round_trip_each(db: Database) -> None:
    """500 requests a second of one key: one shared update serves a whole lease of them (issue 16)."""
    clock = SteppingClock(0.002)
    limiter, key = SharedRateLimiter(db, clock=clock), fresh_key()
    answers = []
    for _ in range(2000):
        answers.append(await limiter.hit(key, 600_000))
        clock.tick()
    assert answers.count(None) == 2000
    assert limiter.round_trips <= 2000 / 20, limiter.round_trips


@pytest.mark.parametrize(("step", "limit"), [(0.01, 120), (0.002, 3000)])
async def test_leases_never_let_a_key_past_what_exact_gcra_allows(db: Database, step: float, limit: int) -> None:
    """A client far over its limit for 10 s: the leased limiter admits what the exact algorithm does on the same
    timestamps, minus at most a few cells a lease took and did not use (it only ever errs strict)."""
    clock = SteppingClock(step)
    limiter, key = SharedRateLimiter(db, clock=clock), fresh_key()
    window, tat, exact, allowed = 60 * NS, 0, 0, 0
    for _ in range(round(10 / step)):
        now = round(clock() * NS)
        new_tat, refused = gcra(tat, now, window, limit)
        if refused is None:
            tat, exact = new_tat, exact + 1
        allowed += await limiter.hit(key, limit) is None
        clock.tick()
    assert exact - 8 <= allowed <= exact, (allowed, exact)


async def test_a_quiet_client_keeps_its_whole_burst(db: Database) -> None:
    """Leases follow demand: a key making five requests a second wastes no room, so its full burst is there."""
    clock = SteppingClock(0.2)
    limiter, key = SharedRateLimiter(db, clock=clock), fresh_key()
    for _ in range(50):
        assert await limiter.hit(key, 600) is None
        clock.tick()
    clock.now += 60  # the ten seconds of requests are refilled: the whole burst of 600 is back
    burst = await asyncio.gather(*(limiter.hit(key, 600) for _ in range(700)))
    assert burst.count(None) == 600
