"""Consumer lag as metrics: each service reads its durable consumers' state from the stream and exports it.

KEDA scales on the same numbers (nats-jetstream trigger); the dashboard and the lag alert read these gauges.
Replicas of a service report the same consumer, so queries take `max by (durable)`.
"""

import asyncio
import logging
from collections.abc import Iterable

from nats.js import JetStreamContext

from admint.core.metrics import CONSUMER_ACK_PENDING, CONSUMER_PENDING, CONSUMER_REDELIVERED

log = logging.getLogger(__name__)


async def observe_lag_once(js: JetStreamContext, stream: str, durables: Iterable[str]) -> dict[str, int]:
    """Read each consumer's pending counts into the gauges; returns {durable: pending}."""
    seen: dict[str, int] = {}
    for durable in durables:
        info = await js.consumer_info(stream, durable, timeout=3)
        pending = int(info.num_pending or 0)
        CONSUMER_PENDING.labels(durable).set(pending)
        CONSUMER_ACK_PENDING.labels(durable).set(int(info.num_ack_pending or 0))
        CONSUMER_REDELIVERED.labels(durable).set(int(info.num_redelivered or 0))
        seen[durable] = pending
    return seen


async def run_lag_observer(js: JetStreamContext, stream: str, durables: list[str], interval_s: float) -> None:
    """Observe forever (a task of the service process); a failed read is logged and tried again."""
    while True:
        try:
            await observe_lag_once(js, stream, durables)
        except Exception as exc:
            log.info("consumer lag not readable now: %s", exc)
        await asyncio.sleep(interval_s)
