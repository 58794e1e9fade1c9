"""Stage timeouts: a generation stuck in a stage longer than its budget is failed with the reason.

Each service sweeps the stages it owns; replicas may sweep at once — the conditional `fail` lets one win and only
the winner publishes generation.failed.v1. Waiting at a checkpoint is not a stage: no stage budget applies to it.
The service that owns the checkpoints (the planner) also sweeps the approval deadline (`sweep_waiting`: expired,
with the reason) and versions of completed ads that take too long (`sweep_versions`: version.failed).
"""

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta

from admint.contracts.generation import GenerationFailed
from admint.contracts.interactive import GenerationExpired, VersionFailed
from admint.contracts.stages import PIPELINE, Stage
from admint.core.docstore import now
from admint.core.document import GenerationDoc
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


async def sweep_waiting(docs: GenerationStore, publisher: Publisher, producer: str, deadline_s: float) -> list[str]:
    """End every generation that waited at a checkpoint longer than the approval deadline; returns their ids."""
    expired: list[str] = []
    for gid in await docs.waiting_too_long(now() - timedelta(seconds=deadline_s)):
        doc = await docs.get(gid)
        if doc is None or doc.checkpoint is None:
            continue
        reason = (f"nobody approved the {doc.checkpoint} checkpoint within {_span(deadline_s)}; the generation "
                  "expired (its plan and frames stay readable)")
        if await docs.expire(gid, doc.checkpoint, reason):
            log.info("approval deadline passed", extra={"generation_id": gid, "checkpoint": doc.checkpoint})
            await publisher.publish(GenerationExpired(generation_id=gid, producer=producer,
                                                      checkpoint=doc.checkpoint, reason=reason, attempt=doc.attempt))
            expired.append(gid)
    return expired


async def sweep_versions(docs: GenerationStore, publisher: Publisher, producer: str, budget_s: float) -> list[str]:
    """Fail every new version of a completed ad rendering longer than its budget; returns their ids."""
    failed: list[str] = []
    for gid, version in await docs.versions_rendering_since(now() - timedelta(seconds=budget_s)):
        reason = f"version {version} did not finish within its budget of {budget_s:.0f}s"
        doc = await docs.get(gid)
        stage = _stage_of_version(doc, version)
        if await docs.fail_version(gid, version, stage, reason, retryable=True):
            await publisher.publish(VersionFailed(generation_id=gid, producer=producer, stage=stage, reason=reason,
                                                  retryable=True, ad_version=version,
                                                  attempt=doc.attempt if doc else 0))
            failed.append(gid)
    return failed


def _stage_of_version(doc: GenerationDoc | None, version: int) -> Stage:
    """The stage a stuck version was in: the first whose output it lacks."""
    section = doc.ad_version(version) if doc else None
    if section is None or len(section.frames) < len(section.plan.beats):
        return "storyboard"
    if section.master is None:
        done = len(section.chunking.done)
        return "chunking" if not section.chunking.total or done < section.chunking.total else "stitching"
    return "exporting"


def _span(seconds: float) -> str:
    days, hours = seconds / 86400, seconds / 3600
    if days >= 1 and days == int(days):
        return f"{int(days)} day{'s' if days != 1 else ''}"
    return f"{hours:g} hours" if hours >= 1 else f"{seconds:g} seconds"


async def run_watchdog(
    docs: GenerationStore,
    publisher: Publisher,
    producer: str,
    budgets: dict[str, float],
    stages: set[Stage],
    interval_s: float,
    steering: tuple[float, float] | None = None,
) -> None:
    """Sweep forever (a task of the service process); errors are logged and the sweep goes on. `steering`:
    (approval deadline, version budget) for the service that owns the checkpoints."""
    while True:
        try:
            await sweep_once(docs, publisher, producer, budgets, sorted(stages))
            if steering is not None:
                await sweep_waiting(docs, publisher, producer, steering[0])
                await sweep_versions(docs, publisher, producer, steering[1])
        except Exception as exc:
            log.warning("watchdog sweep failed: %s", exc)
        await asyncio.sleep(interval_s)
