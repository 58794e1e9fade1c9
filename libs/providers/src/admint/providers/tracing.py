"""Provider calls as spans: `provider <kind>.<method>` with the model's name, around whatever model is configured.

A remote model's HTTP requests (httpx, instrumented when tracing is on) become children of this span, so a
trace shows the model call and each poll of a Replicate prediction beneath the handler that asked for it.
With tracing off the model is returned as it is: no wrapper, no cost.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from opentelemetry.trace import SpanKind

from admint.core.tracing import enabled, span

M = TypeVar("M")


class TracedModel:
    """Delegates everything to the model; its one generating method runs inside a span."""

    def __init__(self, model: Any, kind: str, method: str) -> None:
        self._model = model
        call: Callable[..., Awaitable[Any]] = getattr(model, method)

        @functools.wraps(call)
        async def traced_call(*args: Any, **kwargs: Any) -> Any:
            name = str(getattr(model, "name", type(model).__name__))
            with span(f"provider {kind}.{method}", kind=SpanKind.CLIENT, model=name, provider_kind=kind) as s:
                result = await call(*args, **kwargs)
                cost = getattr(result, "cost_usd", None)
                if s is not None and isinstance(cost, int | float):
                    s.set_attribute("admint.cost_usd", float(cost))
                return result

        setattr(self, method, traced_call)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def traced(model: M, kind: str, method: str) -> M:
    """`model` with its `method` traced when tracing is on; `model` itself otherwise."""
    if not enabled():
        return model
    return TracedModel(model, kind, method)  # type: ignore[return-value]
