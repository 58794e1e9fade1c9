"""Reading a generation's events back from the real stream in tests."""

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from admint.contracts.envelope import Event
from admint.contracts.registry import TERMINAL_TYPES, parse_event


async def read_events(js: Any, gid: str, until: Callable[[list[Event]], bool], timeout_s: float = 240.0) -> list[Event]:
    """gen.<gid>.> from the start until `until(events so far)` holds (messages that are not events are skipped)."""
    sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
    seen: list[Event] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not until(seen):
                msg = await sub.next_msg(timeout=timeout_s)
                with contextlib.suppress(Exception):
                    seen.append(parse_event(msg.data))
    finally:
        await sub.unsubscribe()
    return seen


async def events_until_done(
    js: Any, gid: str, timeout_s: float = 240.0, until: frozenset[str] = TERMINAL_TYPES
) -> list[Event]:
    """Until one of the `until` types (default: a terminal event) shows up."""
    return await read_events(js, gid, lambda seen: any(e.type in until for e in seen), timeout_s)
