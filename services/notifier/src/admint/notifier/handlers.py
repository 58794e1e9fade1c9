"""Notifier handler: a webhook-worthy bus event → one delivery per interested endpoint (and per-request URL).

It only records what to send (idempotently: one delivery per webhook-id and endpoint, a unique index), so it
is fast and never waits on a receiver; the sender loop (dispatch.py) makes the attempts.
"""

import logging

from admint.contracts.envelope import Event
from admint.contracts.envelope import utcnow as now
from admint.contracts.ids import new_id
from admint.contracts.webhooks import WEBHOOK_TYPE_OF
from admint.core.webhooks import Delivery, message_id, request_endpoint_id
from admint.notifier import payload
from admint.notifier.ports import Ports

log = logging.getLogger(__name__)


async def handle_webhook_event(event: Event, ports: Ports) -> list[Event]:
    doc = await ports.docs.get(event.generation_id)
    if doc is None:
        log.info("%s for an unknown generation: nothing to send", event.type)
        return []
    webhook_type = WEBHOOK_TYPE_OF[event.type]
    targets: list[tuple[str, str | None]] = [
        (endpoint.id, None) for endpoint in await ports.endpoints.matching(doc.owner, webhook_type)
    ]
    if doc.request.webhook_url:
        targets.append((request_endpoint_id(doc.owner), doc.request.webhook_url))
    if not targets:
        return []
    body, msg_id, stamp = payload.body(event, ports.public_url), message_id(event.msg_id), now()
    created = 0
    for endpoint_id, url in targets:
        created += await ports.deliveries.enqueue(Delivery(
            _id=new_id(), owner=doc.owner, endpoint_id=endpoint_id, url=url,
            generation_id=event.generation_id, message_id=msg_id, event_type=webhook_type, payload=body,
            due_at=stamp, created_at=stamp, updated_at=stamp,
        ))
    log.info("%s: %d deliveries enqueued (%d new)", webhook_type, len(targets), created)
    ports.wake()
    return []
