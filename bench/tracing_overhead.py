"""What tracing costs a worker: one message through `Worker.deliver` (skip-terminal lookup, handler, publish,
ack, metrics) with tracing off as shipped, off with every tracing hook removed, and on.

    uv run python bench/tracing_overhead.py [--n 20000]

"off" is the default (no OTEL_* variables): no tracer provider, no FastStream telemetry middleware, and the
hooks left in the worker, logger, S3 adapter and ffmpeg runner reduce to a flag check or the OpenTelemetry API's
no-op span. "bare" monkeypatches those hooks to nothing, i.e. the code before tracing existed. "on" installs the
SDK with an in-memory exporter (the batching OTLP exporter does its I/O off the request path). Also timed: the
ffmpeg runner's no-op span against the cheapest real ffmpeg run (`ffmpeg -version`). Prints µs per message and
the ratios off/bare and on/bare; a ratio within the run-to-run noise (about ±3%) is "nothing measurable".
"""

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.fakes import FakeGenerationStore

from admint.contracts.generation import StageProgress
from admint.core import tracing, worker
from admint.core.topology import ConsumerSpec
from admint.core.worker import Subscription, Worker


class Delivery:
    subject = "gen.G1.stage.progress.v1"
    deliveries = 1

    def __init__(self, seq: int) -> None:
        self.stream_sequence = seq

    async def ack(self) -> None: ...
    async def nak(self, delay: float) -> None: ...
    async def in_progress(self) -> None: ...


class Publisher:
    async def publish(self, event: object) -> bool:
        return True


async def per_message_us(n: int) -> float:
    event = StageProgress(generation_id="G1", producer="bench", stage="chunking", done=0, total=1)
    out = StageProgress(generation_id="G1", producer="bench", stage="chunking", done=1, total=1)

    async def handler(_: StageProgress) -> list:
        return [out]

    sub = Subscription(ConsumerSpec("svc", "svc-work", "stage.progress.v1"), StageProgress, handler, "chunking")
    w = Worker("svc", FakeGenerationStore(), Publisher())
    for i in range(500):  # warm up
        await w.deliver(sub, Delivery(i), event)
    started = time.perf_counter()
    for i in range(n):
        await w.deliver(sub, Delivery(i), event)
    return (time.perf_counter() - started) / n * 1e6


def best_of(n: int, rounds: int = 5) -> float:
    return min(asyncio.run(per_message_us(n)) for _ in range(rounds))


@contextlib.contextmanager
def bare() -> object:
    """The worker with its tracing hooks replaced by nothing (the code as it was before tracing)."""
    saved = worker.span, worker.add_event, worker.mark_error
    worker.span = lambda *a, **k: contextlib.nullcontext()  # type: ignore[assignment]
    worker.add_event = worker.mark_error = lambda *a, **k: None  # type: ignore[assignment]
    try:
        yield None
    finally:
        worker.span, worker.add_event, worker.mark_error = saved


def noop_span_us(n: int = 100_000) -> float:
    from opentelemetry import trace

    tracer = trace.get_tracer("admint.media")
    started = time.perf_counter()
    for _ in range(n):
        with tracer.start_as_current_span("ffmpeg", attributes={"process.command_args": ["-version"]}):
            pass
    return (time.perf_counter() - started) / n * 1e6


def ffmpeg_run_us(n: int = 20) -> float:
    runs = []
    for _ in range(n):
        started = time.perf_counter()
        subprocess.run(["ffmpeg", "-version"], capture_output=True, check=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    span_us, ffmpeg_us = noop_span_us(), ffmpeg_run_us()
    with bare():
        bare_us = best_of(args.n)
    off_us = best_of(args.n)
    with bare():
        bare_again_us = best_of(args.n)

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    tracing._provider = provider
    on_us = best_of(args.n)
    spans = len(exporter.get_finished_spans())

    baseline = min(bare_us, bare_again_us)
    noise = abs(bare_us - bare_again_us) / baseline
    print(f"worker.deliver, best of 5 x {args.n} messages (µs per message):")
    print(f"  bare (no tracing hooks)  {bare_us:8.2f}  (again: {bare_again_us:.2f}; noise {noise:.1%})")
    print(f"  off  (as shipped)        {off_us:8.2f}")
    print(f"  on   (SDK, in-memory)    {on_us:8.2f}  ({spans} spans recorded)")
    print(f"ffmpeg runner: no-op span {span_us:.2f} µs vs `ffmpeg -version` {ffmpeg_us:,.0f} µs "
          f"({span_us / ffmpeg_us:.4%} of the cheapest run)")
    print(f"ratio off/bare = {off_us / baseline:.3f}   on/bare = {on_us / baseline:.3f}")


if __name__ == "__main__":
    main()
