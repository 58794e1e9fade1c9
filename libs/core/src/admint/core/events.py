"""Building derived events: the envelope fields every handler would otherwise repeat."""

from typing import Any, TypeVar

from admint.contracts.envelope import Event

E = TypeVar("E", bound=Event)


def follow(cause: Event, model: type[E], producer: str, /, **fields: Any) -> E:
    """An event caused by `cause`: same generation, retry round and ad version, causation_id = cause.id.

    The leading parameters are positional-only, so events with a field named `model` (chunk.completed) work.
    """
    fields.setdefault("attempt", cause.attempt)
    fields.setdefault("ad_version", cause.ad_version)
    return model(generation_id=cause.generation_id, causation_id=cause.id, producer=producer, **fields)
