"""The webhook body of a bus event: Standard Webhooks' {type, timestamp, data} with links to the resource."""

from admint.contracts.envelope import Event
from admint.contracts.webhooks import WEBHOOK_TYPE_OF, WebhookData, WebhookLinks, WebhookMessage


def links(generation_id: str, base: str = "") -> WebhookLinks:
    root = f"{base.rstrip('/')}/v1/generations/{generation_id}"
    return WebhookLinks(generation=root, video=f"{root}/video", events=f"{root}/events")


def message(event: Event, base_url: str = "") -> WebhookMessage:
    webhook_type = WEBHOOK_TYPE_OF[event.type]
    return WebhookMessage(
        type=webhook_type, timestamp=event.occurred_at,
        data=WebhookData(generation_id=event.generation_id, status=webhook_type.split(".", 1)[1],
                         event=event.model_dump(mode="json"), links=links(event.generation_id, base_url)),
    )


def body(event: Event, base_url: str = "") -> str:
    """The exact bytes every attempt sends (and signs)."""
    return message(event, base_url).model_dump_json()
