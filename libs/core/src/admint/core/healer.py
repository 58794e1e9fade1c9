"""Self-healing fan-ins: a stage whose inputs are all recorded but whose completion never went out is completed.

A fan-in publishes its stage's completion when the count of recorded items reaches the total. If that moment is
lost — a count write lost by a storage backend that acknowledged too early, a bug, an operator's repair — every
input is stored and nothing will ever be redelivered, so the generation would only be failed by the stage budget.
Each service sweeps its own stages: a generation quiet for `heal_after_s` is handed to the service's `heal`
function, which rebuilds the completion from the document when (and only when) everything it needs is recorded.
A completion already in the stream (same deterministic Nats-Msg-Id) is not sent again, so healing is idempotent
across replicas and never duplicates a completion the next stage has simply not consumed yet.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from admint.contracts.envelope import Event
from admint.core.docstore import now
from admint.core.document import GenerationDoc
from admint.core.stores import GenerationStore

log = logging.getLogger(__name__)

HealFn = Callable[[GenerationDoc, Any], Awaitable[list[Event]]]
"""`async def heal(doc, ports) -> list[Event]`: the completion the document proves is due, else []."""
Publish = Callable[[Event], Awaitable[bool]]
InStream = Callable[[Event], Awaitable[bool]]


async def heal_once(docs: GenerationStore, heal: HealFn, ports: Any, statuses: Iterable[str], quiet_s: float,
                    publish: Publish, in_stream: InStream) -> list[str]:
    """One sweep; returns the ids of the generations healed by this call."""
    healed: list[str] = []
    for status in statuses:
        for gid in await docs.quiet(status, now() - timedelta(seconds=quiet_s)):
            doc = await docs.get(gid)
            if doc is None or doc.status != status:
                continue
            for event in await heal(doc, ports):
                if await in_stream(event):
                    continue
                log.warning("healing %s: publishing the missing %s", gid, event.type,
                            extra={"generation_id": gid})
                await publish(event)
                healed.append(gid)
    return healed


async def run_healer(docs: GenerationStore, heal: HealFn, ports: Any, statuses: Iterable[str], quiet_s: float,
                     publish: Publish, in_stream: InStream, interval_s: float) -> None:
    """Sweep forever (a task of the service process); errors are logged and the sweep goes on."""
    watched = tuple(statuses)
    while True:
        try:
            await heal_once(docs, heal, ports, watched, quiet_s, publish, in_stream)
        except Exception as exc:
            log.warning("heal sweep failed: %s", exc)
        await asyncio.sleep(interval_s)
