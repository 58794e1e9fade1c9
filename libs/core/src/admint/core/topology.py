"""One source of truth for who consumes what: durable consumer names, subjects and retry limits.

The Kubernetes ScaledObjects (lag per durable consumer) and the services' subscribers both read these names.
"""

from dataclasses import dataclass

from admint.contracts.subjects import subject_filter
from admint.contracts.webhooks import WEBHOOK_EVENTS


@dataclass(frozen=True)
class ConsumerSpec:
    """One durable pull consumer on the ADMINT stream."""

    service: str
    durable: str
    event_type: str
    max_deliver: int = 8
    """Deliveries before a message that keeps crashing its handler is parked as poison."""
    max_transient_deliver: int = 40
    """Deliveries allowed while the handler reports transient errors (provider busy, server restarting)."""
    ack_wait_s: float = 60.0
    """Redelivery time for an un-acked message; long-running handlers send in-progress pings."""
    lag_threshold: int = 5
    """Pending messages per replica before KEDA adds one."""

    @property
    def filter_subject(self) -> str:
        return subject_filter(self.event_type)


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec("planner", "planner", "generation.requested.v1", lag_threshold=10),
    ConsumerSpec("storyboard", "storyboard-plan", "plan.completed.v1", lag_threshold=10),
    ConsumerSpec("storyboard", "storyboard-frames", "frame.requested.v1", lag_threshold=4),
    ConsumerSpec("storyboard", "storyboard-fanin", "frame.completed.v1", lag_threshold=20),
    ConsumerSpec("chunker", "chunker-plan", "storyboard.completed.v1", lag_threshold=10),
    ConsumerSpec("chunker", "chunker-work", "chunk.requested.v1", ack_wait_s=120.0, lag_threshold=2),
    ConsumerSpec("chunker", "chunker-fanin", "chunk.completed.v1", lag_threshold=20),
    ConsumerSpec("stitcher", "stitcher", "chunks.completed.v1", ack_wait_s=120.0, lag_threshold=1),
    ConsumerSpec("exporter", "exporter", "stitch.completed.v1", ack_wait_s=120.0, lag_threshold=1),
    ConsumerSpec("chunker", "chunker-quality", "quality.scored.v1", lag_threshold=20),
    ConsumerSpec("scorer", "scorer-chunks", "chunk.completed.v1", ack_wait_s=60.0, lag_threshold=4),
    ConsumerSpec("scorer", "scorer-masters", "stitch.completed.v1", ack_wait_s=120.0, lag_threshold=2),
    ConsumerSpec("scorer", "scorer-exports", "export.completed.v1", ack_wait_s=120.0, lag_threshold=2),
    # the notifier: one consumer per webhook type (it only enqueues deliveries; sending runs beside it)
    *(ConsumerSpec("notifier", "notifier-" + public.replace(".", "-"), bus, lag_threshold=50)
      for public, bus in WEBHOOK_EVENTS.items()),
)

SERVICES: tuple[str, ...] = tuple(dict.fromkeys(c.service for c in CONSUMERS))
"""Worker services (each its own Deployment / process)."""


def consumers_of(service: str) -> tuple[ConsumerSpec, ...]:
    return tuple(c for c in CONSUMERS if c.service == service)


def scaling_consumer(service: str) -> ConsumerSpec:
    """The consumer whose lag drives that service's autoscaling (its heaviest work queue)."""
    specs = consumers_of(service)
    return min(specs, key=lambda c: c.lag_threshold)

