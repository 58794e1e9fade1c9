"""Stage timeouts: a generation stuck in a stage longer than its budget is failed with the reason.

Each service sweeps the stages it owns; replicas may sweep at once — the conditional `fail` lets one win and only
the winner publishes generation.failed.v1.
"""

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta

from admint.contracts.generation import GenerationFailed
from admint.contracts.stages import PIPELINE, Stage
from admint.core.docstore import now
from admint.core.metrics import STAGE_TIMEOUTS
from admint.core.stores import GenerationStore
from admint.core.worker import Publisher

log = logging.getLogger(__name__)

async def sweep_once(
    docs: GenerationStore,
    publisher: Publisher,
    producer: str,
    budgets: dict[str, float],
    stages: Iterable[str],
) -> list[str]:
    """Fail every generation over budget in the given stages; returns the ids failed by this call."""
    failed: list[str] = []
    for stage in stages:
        budget = budgets.get(stage)
        if not budget:
            continue
        for gid in await docs.stuck(PIPELINE.status_of_stage[stage], now() - timedelta(seconds=budget)):
            reason = f"{stage} did not finish within its budget of {budget:.0f}s"
            if await docs.fail(gid, stage, reason, retryable=True):
                log.warning("stage timeout", extra={"generation_id": gid, "stage": stage})
                STAGE_TIMEOUTS.labels(stage).inc()
                await publisher.publish(
                    GenerationFailed(
                        generation_id=gid,
                        producer=producer,
                        stage=stage,  # type: ignore[arg-type]
                        reason=reason,
                        retryable=True,
                    )
                )
                failed.append(gid)
    return failed


async def run_watchdog(
    docs: GenerationStore,
    publisher: Publisher,
    producer: str,
    budgets: dict[str, float],
    stages: set[Stage],
    interval_s: float,
) -> None:
    """Sweep forever (a task of the service process); errors are logged and the sweep goes on."""
    while True:
        try:
            await sweep_once(docs, publisher, producer, budgets, sorted(stages))
        except Exception as exc:
            log.warning("watchdog sweep failed: %s", exc)
        await asyncio.sleep(interval_s)
