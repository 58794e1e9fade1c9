"""The sender loop: claim a due delivery, sign it, send it, record the attempt, schedule a retry or finish.

Safe with several replicas and across crashes: a delivery is claimed for a lease (webhookstore.claim_due), so
one attempt runs at a time, and one whose notifier died is taken again when the lease ends — the receiver may
then see a message twice, always with the same `webhook-id` (receivers de-duplicate on it, per the spec). It
never touches a generation: a receiver that is down delays nothing but its own deliveries.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

from admint.contracts.envelope import utcnow as now
from admint.core.webhooks import Attempt, Delivery, WebhookEndpoint
from admint.notifier.ports import Deliveries, Endpoints, Outcome, Sender
from admint.notifier.schedule import next_attempt_at
from admint.notifier.signing import signed_headers

log = logging.getLogger(__name__)
ATTEMPTS = Counter("admint_webhook_attempts_total", "Webhook attempts by outcome.", ["outcome"])
DELIVERIES = Counter("admint_webhook_deliveries_total", "Deliveries finished, by final status.", ["status"])
ENDPOINTS_DISABLED = Counter("admint_webhook_endpoints_disabled_total", "Endpoints disabled for failing.")
LATENCY = Histogram("admint_webhook_latency_seconds", "Time of one webhook attempt.",
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


@dataclass(frozen=True)
class Policy:
    schedule_s: list[float]
    jitter: float
    max_age_s: float
    lease_s: float
    concurrency: int
    poll_s: float
    disable_after_failures: int
    disable_after_s: float


class Dispatcher:
    def __init__(self, endpoints: Endpoints, deliveries: Deliveries, sender: Sender, policy: Policy,
                 rng: Callable[[], float] = random.random) -> None:
        self.endpoints = endpoints
        self.deliveries = deliveries
        self.sender = sender
        self.policy = policy
        self.rng = rng
        self.woken = asyncio.Event()

    def wake(self) -> None:
        self.woken.set()

    async def run(self) -> None:
        """Forever: keep up to `concurrency` attempts in flight; sleep until woken or the next poll."""
        slots = asyncio.Semaphore(self.policy.concurrency)
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                await slots.acquire()
                try:
                    delivery = await self.deliveries.claim_due(self.policy.lease_s)
                except Exception as exc:  # the database is away: try again shortly
                    log.warning("could not claim a delivery: %s", exc)
                    delivery = None
                if delivery is None:
                    slots.release()
                    self.woken.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.woken.wait(), self.policy.poll_s)
                    continue
                task = asyncio.create_task(self.attempt(delivery))
                running.add(task)

                def done(finished: asyncio.Task[None]) -> None:
                    running.discard(finished)
                    slots.release()

                task.add_done_callback(done)
        finally:
            for task in running:
                task.cancel()

    async def attempt(self, delivery: Delivery) -> None:
        try:
            await self._attempt(delivery)
        except Exception:  # its lease ends and it is tried again; nothing else may stop the loop
            log.exception("webhook attempt of %s failed unexpectedly", delivery.id)

    async def _attempt(self, delivery: Delivery) -> None:
        endpoint = await self.endpoints.get(delivery.endpoint_id)
        reason = _unsendable(endpoint)
        if reason or endpoint is None:
            await self.deliveries.give_up(delivery.id, reason or "the endpoint was deleted")
            DELIVERIES.labels("failed").inc()
            return
        started = now()
        headers = signed_headers(endpoint.signing_secrets(started), delivery.message_id,
                                 int(started.timestamp()), delivery.payload)
        outcome = await self.sender.send(delivery.url or endpoint.url, delivery.payload, headers)
        LATENCY.observe(outcome.latency_ms / 1000)
        ATTEMPTS.labels("ok" if outcome.ok else "failed").inc()
        attempt = Attempt(number=len(delivery.attempts) + 1, at=started, status_code=outcome.status_code,
                          latency_ms=outcome.latency_ms, error=outcome.error, response=outcome.response)
        if outcome.ok:
            await self.deliveries.record_attempt(delivery.id, attempt, "succeeded")
            DELIVERIES.labels("succeeded").inc()
            if endpoint.kind == "endpoint":
                await self.endpoints.record_success(endpoint.id)
            return
        await self._failed(delivery, endpoint, attempt, outcome)

    async def _failed(self, delivery: Delivery, endpoint: WebhookEndpoint, attempt: Attempt,
                      outcome: Outcome) -> None:
        # a manual redelivery is one attempt: its owner is watching
        failures = len(delivery.attempts) + 1  # every earlier attempt of a pending delivery failed
        due = None if delivery.redeliveries else next_attempt_at(
            failures, delivery.created_at, now(), self.policy.schedule_s, self.policy.max_age_s,
            self.policy.jitter, self.rng)
        if due is not None:
            await self.deliveries.record_attempt(delivery.id, attempt, "pending", due_at=due)
        else:
            await self.deliveries.record_attempt(delivery.id, attempt, "failed",
                                                 final_error=f"gave up after {attempt.number} attempts: "
                                                             f"{outcome.error}")
            DELIVERIES.labels("failed").inc()
        if endpoint.kind != "endpoint":
            return
        disabled = await self.endpoints.record_failure(
            endpoint.id,
            f"disabled after failing at least {self.policy.disable_after_failures} attempts in a row for "
            f"{self.policy.disable_after_s / 3600:g} h or more; last: {outcome.error}",
            min_failures=self.policy.disable_after_failures, after_s=self.policy.disable_after_s)
        if disabled:
            ENDPOINTS_DISABLED.inc()
            log.warning("webhook endpoint %s of %s disabled: %s", endpoint.id, endpoint.owner, outcome.error)


def _unsendable(endpoint: WebhookEndpoint | None) -> str | None:
    if endpoint is None:
        return "the endpoint was deleted"
    if endpoint.kind == "endpoint" and not endpoint.enabled:
        return f"the endpoint is disabled: {endpoint.disabled_reason or 'by its owner'}"
    if not endpoint.signing_secrets(now()):
        return "the endpoint has no signing secret"
    return None
