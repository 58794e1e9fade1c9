"""Generate the AsyncAPI 3 document of every subject and payload from the services' own wiring (`make asyncapi`).

    uv run python infra/asyncapi_gen.py            # rewrite contracts/src/admint/contracts/asyncapi.json
    uv run python infra/asyncapi_gen.py --check    # exit 1 when the committed document is stale

Each worker service in `admint.core.topology.SERVICES` is wired as `serve()` wires it (typed publishers per
produced event), its durable consumers declared as typed FastStream subscribers with the config `serve()`'s
`PullConsumer`s create, the gateway declares its publishers the
same way (`admint.gateway.events`), and FastStream writes one AsyncAPI 3 document per broker. Those are merged
into the document integrators read: one channel per event type (`gen.{generation_id}.<type>`), one operation per
service and direction (`<service>.send.<type>`, `<durable>.receive.<type>`), one message and payload schema per
event. A new service, event or route in the wiring shows up at the next run; the contract test fails until then.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from admint.contracts.registry import EVENT_TYPES
from admint.core.bus import make_broker
from admint.core.service import ServiceSpec, document_subscribers, wire
from admint.core.settings import CoreSettings
from admint.core.topology import SERVICES, consumers_of

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "contracts" / "src" / "admint" / "contracts" / "asyncapi.json"
DESCRIPTION = """Every event of an admint generation on NATS JetStream (stream `ADMINT`, subjects `gen.>`).

Subjects are `gen.<generation_id>.<event type>`; follow one generation with `gen.<generation_id>.>`, one kind of
event with `gen.*.<event type>`. Payloads are JSON, one event per message, with the common envelope (`id`,
`type`, `generation_id`, `occurred_at`, `producer`, `causation_id`, `attempt`). Headers: `Nats-Msg-Id`
(deterministic, so the stream drops a re-published duplicate), `Admint-Event-Type`, and W3C `traceparent` when
tracing is on. Compatibility: a new optional field keeps the version; anything else is a new `vN+1` type.
The gateway's SSE feed (`GET /v1/generations/{id}/events`) relays these same events to HTTP clients."""


def _service_broker(name: str) -> tuple[NatsBroker, dict[str, str]]:
    """The service's broker as serve() builds it; plus durable → event type of its subscribers."""
    spec: ServiceSpec[Any, Any] = importlib.import_module(f"admint.{name}.app").SERVICE
    subscriptions = spec.subscriptions(None)
    settings = CoreSettings(service_name=name)
    wiring = wire(spec, settings)
    document_subscribers(wiring, spec, subscriptions, settings)
    return wiring.broker, {c.durable: c.event_type for c in consumers_of(name)}


def _gateway_broker() -> NatsBroker:
    from admint.gateway.events import declare_publishers

    settings = CoreSettings(service_name="gateway")
    broker = make_broker(settings)
    declare_publishers(broker, settings)
    return broker


def faststream_document(broker: NatsBroker, title: str) -> dict[str, Any]:
    spec = AsyncAPI(broker, title=title, schema_version="3.0.0").to_specification()
    return json.loads(spec.to_json())  # type: ignore[no-any-return]


def _event_type(channel: dict[str, Any]) -> str:
    """gen.*.plan.completed.v1 → plan.completed.v1"""
    return str(channel["address"]).split(".", 2)[2]


def merge(documents: dict[str, dict[str, Any]], version: str) -> dict[str, Any]:
    """Per-service FastStream documents → one document keyed by event type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service, doc in sorted(documents.items()):
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                raise ValueError(f"two different schemas named {name} ({service})")
            schemas[name] = schema
        for key, operation in doc.get("operations", {}).items():
            channel = doc["channels"][operation["channel"]["$ref"].rsplit("/", 1)[1]]
            event_type = _event_type(channel)
            model = EVENT_TYPES[event_type]
            channels.setdefault(event_type, {
                "address": f"gen.{{generation_id}}.{event_type}",
                "title": event_type,
                "description": (model.__doc__ or "").strip(),
                "parameters": {"generation_id": {"description": "Id of the generation the event belongs to."}},
                "messages": {model.__name__: {"$ref": f"#/components/messages/{event_type}"}},
            })
            payload_ref = _payload_ref(doc, channel)
            messages.setdefault(event_type, {
                "name": event_type, "title": model.__name__, "contentType": "application/json",
                "summary": (model.__doc__ or "").strip().splitlines()[0],
                "payload": {"$ref": payload_ref},
                "headers": {"type": "object", "properties": {
                    "Nats-Msg-Id": {"type": "string", "description": "De-duplication id (deterministic)."},
                    "Admint-Event-Type": {"type": "string", "const": event_type},
                    "traceparent": {"type": "string", "description": "W3C trace context, when tracing is on."},
                }},
            })
            action = operation["action"]
            who = key.split(":", 1)[0] if action == "receive" else service
            operations[f"{who}.{action}.{event_type}"] = {
                "action": action,
                "title": f"{who} {'publishes' if action == 'send' else 'consumes'} {event_type}",
                "description": _operation_description(service, who, action, event_type),
                "channel": {"$ref": f"#/channels/{event_type}"},
                "messages": [{"$ref": f"#/channels/{event_type}/messages/{model.__name__}"}],
                **({"bindings": {"nats": {"queue": who, "bindingVersion": "0.1.0"}}} if action == "receive" else {}),
            }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "admint events", "version": version, "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {"nats": {"host": "nats:4222", "protocol": "nats",
                             "description": "The cluster's NATS with JetStream (stream ADMINT)."}},
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": dict(sorted(messages.items())), "schemas": dict(sorted(schemas.items()))},
    }


def _payload_ref(doc: dict[str, Any], channel: dict[str, Any]) -> str:
    message_ref = next(iter(channel["messages"].values()))["$ref"]
    message = doc["components"]["messages"][message_ref.rsplit("/", 1)[1]]
    return str(message["payload"]["$ref"])


def _operation_description(service: str, who: str, action: str, event_type: str) -> str:
    if action == "send":
        return f"Published by the {service}."
    return (f"The {service}'s durable pull consumer `{who}` on `gen.*.{event_type}` (replicas compete for its "
            "messages; delivery is at-least-once, handlers are idempotent).")


def build(version: str = "1.0.0") -> dict[str, Any]:
    documents = {name: faststream_document(_service_broker(name)[0], name) for name in SERVICES}
    documents["gateway"] = faststream_document(_gateway_broker(), "gateway")
    return merge(documents, version)


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed document is stale")
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        if not args.out.exists() or args.out.read_text() != text:
            print(f"{args.out} is stale: run `make asyncapi` and commit it", file=sys.stderr)
            return 1
        print(f"{args.out.name} is up to date")
        return 0
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
