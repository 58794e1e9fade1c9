"""Reading a generation's events back from the real stream in tests."""

import asyncio
import contextlib
from typing import Any

from admint.contracts.envelope import Event
from admint.contracts.registry import TERMINAL_TYPES, parse_event


async def events_until_done(
    js: Any, gid: str, timeout_s: float = 240.0, until: frozenset[str] = TERMINAL_TYPES
) -> list[Event]:
    """gen.<gid>.> from the start until one of the `until` types (default: a terminal event) shows up."""
    sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True)
    seen: list[Event] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not any(e.type in until for e in seen):
                msg = await sub.next_msg(timeout=timeout_s)
                with contextlib.suppress(Exception):
                    seen.append(parse_event(msg.data))
    finally:
        await sub.unsubscribe()
    return seen
