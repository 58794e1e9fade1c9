"""Composition root of the exporter: ports from settings, one durable consumer on stitch.completed.v1.

skip_terminal is off: a redelivery after the generation was marked completed re-publishes the completion events
from the document (their Nats-Msg-Ids are deterministic, so the stream drops true duplicates).
"""

from functools import partial

from admint.contracts.stitch import StitchCompleted
from admint.core.service import Infra
from admint.core.topology import consumers_of
from admint.core.worker import Subscription
from admint.exporter.config import ExporterSettings
from admint.exporter.handlers import Ports, handle_stitch_completed


def build(infra: Infra) -> list[Subscription]:
    settings = infra.settings if isinstance(infra.settings, ExporterSettings) else ExporterSettings()
    ports = Ports(docs=infra.docs, blobs=infra.blobs, settings=settings)
    (consumer,) = consumers_of("exporter")
    return [
        Subscription(
            consumer=consumer, model=StitchCompleted, handler=partial(handle_stitch_completed, ports=ports),
            stage="exporting", skip_terminal=False,
        )
    ]
