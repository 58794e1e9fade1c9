"""OpenTelemetry tracing, configured by the standard OTEL_* variables; with none of them set it stays off.

One trace per generation: the gateway's POST starts it, FastStream's telemetry middleware carries the context in
NATS message headers (W3C `traceparent`), every handler is a span, and the MongoDB (pymongo), HTTP (httpx),
ffmpeg and S3 calls made while handling are its children.

*Off* means off: no tracer provider is installed, the broker gets no telemetry middleware, and `span()` is a
`nullcontext` — the only cost left is a flag check (bench/tracing_overhead.py measures it). *On* when
`OTEL_TRACES_EXPORTER` names an exporter other than `none`, or an OTLP endpoint is set
(`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `OTEL_SDK_DISABLED=true` wins over both.
The exporter reads its own standard variables (endpoint, headers, timeout, `OTEL_BSP_*` batching); the service
name is `OTEL_SERVICE_NAME` or `admint-<service>`.
"""

import contextlib
import importlib
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

log = logging.getLogger(__name__)
TRACER_NAME = "admint"
SUPPORTED_EXPORTERS = ("otlp", "console", "none")
LIBRARY_INSTRUMENTORS = {
    "pymongo": "PymongoInstrumentor",
    "httpx": "HTTPXClientInstrumentor",
}
"""Instrumentations turned on when installed: `opentelemetry.instrumentation.<module>.<class>` (the member that
uses the library declares the instrumentation; core does not import httpx)."""

_provider: Any = None


def configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether the standard variables ask for traces to be exported."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = [e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()]
    if exporters:
        return any(e != "none" for e in exporters)
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def enabled() -> bool:
    """True once `setup_tracing` installed a provider in this process."""
    return _provider is not None


def _exporters(env: Mapping[str, str]) -> list[Any]:
    names = [e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if e.strip()]
    found: list[Any] = []
    for name in names:
        if name == "otlp":
            protocol = (env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                        or "http/protobuf")
            if protocol != "http/protobuf":
                raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: admint ships the OTLP/HTTP "
                                 "exporter only; use http/protobuf (a collector's port 4318)")
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            found.append(OTLPSpanExporter())
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            found.append(ConsoleSpanExporter())
        elif name != "none":
            raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not one of {', '.join(SUPPORTED_EXPORTERS)}")
    return found


def setup_tracing(service: str, env: Mapping[str, str] | None = None) -> bool:
    """Install the SDK's tracer provider when configured (once per process); call it before the MongoDB
    client is created (pymongo's command listeners are captured then). Returns whether tracing is on."""
    global _provider
    if _provider is not None:
        return True
    env = os.environ if env is None else env
    if not configured(env):
        return False
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if env.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: f"admint-{service}"}
    provider = TracerProvider(resource=Resource.create(attributes))
    for exporter in _exporters(env):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider = provider
    _instrument_libraries()
    log.info("tracing on: exporting spans as %s", env.get("OTEL_TRACES_EXPORTER", "otlp"))
    return True


def _instrument_libraries() -> None:
    for module_name, class_name in LIBRARY_INSTRUMENTORS.items():
        try:
            module = importlib.import_module(f"opentelemetry.instrumentation.{module_name}")
        except ImportError:
            continue
        instrumentor = getattr(module, class_name)()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()


def shutdown_tracing() -> None:
    """Flush and stop the exporters (the end of a process: spans still batched are sent now)."""
    if _provider is not None:
        with contextlib.suppress(Exception):
            _provider.shutdown()


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


@contextlib.contextmanager
def span(name: str, *, kind: SpanKind = SpanKind.INTERNAL, context: Context | None = None,
         **attributes: Any) -> Iterator[Span | None]:
    """A span around a block when tracing is on; nothing at all when it is off. Exceptions mark it as an error."""
    if _provider is None:
        yield None
        return
    attrs = {k if "." in k else f"admint.{k}": v for k, v in attributes.items() if v is not None}
    with tracer().start_as_current_span(name, context=context, kind=kind, attributes=attrs) as current:
        yield current


def add_event(name: str, **attributes: Any) -> None:
    """An event on the current span (a retry, a redelivery, a dead letter); nothing when tracing is off."""
    if _provider is None:
        return
    current = trace.get_current_span()
    if current.is_recording():
        current.add_event(name, {k: v for k, v in attributes.items() if v is not None})


def mark_error(description: str) -> None:
    if _provider is None:
        return
    current = trace.get_current_span()
    if current.is_recording():
        current.set_status(Status(StatusCode.ERROR, description[:500]))


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span as hex, when there is one."""
    if _provider is None:
        return None
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def current_trace_id() -> str | None:
    ids = current_ids()
    return ids[0] if ids else None


def extract(headers: Mapping[str, str] | None) -> Context | None:
    """The trace context carried by a message's headers (the standard W3C propagator), if any."""
    if _provider is None or not headers:
        return None
    return propagate.extract(dict(headers))


def inject(headers: dict[str, str]) -> dict[str, str]:
    """Write the current trace context into outgoing headers (for publishes FastStream does not carry)."""
    if _provider is not None:
        propagate.inject(headers)
    return headers
