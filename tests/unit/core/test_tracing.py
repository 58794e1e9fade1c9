"""Tracing is configured by the standard OTEL_* variables, off when none is set, and the worker's spans and
events are what an operator reads (SDK in-memory exporter; the cross-process trace is tests/e2e)."""

import asyncio
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from admint.contracts.generation import StageProgress
from admint.core import tracing
from admint.core.errors import TransientError
from admint.core.logging import JsonFormatter
from admint.core.topology import ConsumerSpec
from admint.core.worker import Subscription, Worker
from tests.support.fakes import FakeGenerationStore
from tests.unit.core.test_worker_unit import FakeDelivery, Published

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("env", "on"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
    ({"OTEL_TRACES_EXPORTER": "console"}, True),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
    ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
])
def test_configured_by_the_standard_variables(env: dict[str, str], on: bool) -> None:
    assert tracing.configured(env) is on


def test_unsupported_exporters_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="http/protobuf"):
        tracing._exporters({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    with pytest.raises(ValueError, match="zipkin"):
        tracing._exporters({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_off_means_no_span_no_ids() -> None:
    assert not tracing.enabled()
    with tracing.span("anything", generation_id="G") as current:
        assert current is None
        assert tracing.current_ids() is None
    assert tracing.extract({"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}) is None


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_provider", provider)
    monkeypatch.setattr(tracing, "tracer", lambda: provider.get_tracer("test"))
    yield exporter


def _sub(handler) -> Subscription:  # type: ignore[no-untyped-def]
    return Subscription(ConsumerSpec("svc", "svc-work", "stage.progress.v1"), StageProgress, handler, "chunking")


async def test_a_handler_is_a_span_and_a_retry_an_event_on_it(recorded: InMemorySpanExporter) -> None:
    event = StageProgress(generation_id="G1", producer="t", stage="chunking", done=0, total=1)
    seen: list[tuple[str, str] | None] = []

    async def flaky(_: StageProgress) -> list:
        seen.append(tracing.current_ids())
        await asyncio.sleep(0)
        raise TransientError("provider busy")

    worker = Worker("svc", FakeGenerationStore(), Published())
    delivery = FakeDelivery(event.subject, deliveries=2)
    assert await worker.deliver(_sub(flaky), delivery, event) == "retry"
    (span,) = recorded.get_finished_spans()
    assert span.name == "svc handle stage.progress.v1"
    assert span.attributes["admint.generation_id"] == "G1" and span.attributes["admint.delivery"] == 2
    assert [e.name for e in span.events] == ["retry scheduled"]
    assert span.status.status_code.name == "ERROR"
    # the handler ran inside the span (its own calls would be children)
    assert seen[0] is not None and seen[0][1] == format(span.context.span_id, "016x")


def test_log_lines_carry_the_trace_id(recorded: InMemorySpanExporter) -> None:
    import logging

    formatter = JsonFormatter("svc")
    with tracing.span("work") as current:
        assert current is not None
        line = formatter.format(logging.makeLogRecord({"msg": "hello"}))
    assert f'"trace_id": "{format(current.get_span_context().trace_id, "032x")}"' in line
    assert '"trace_id"' not in formatter.format(logging.makeLogRecord({"msg": "outside"}))
