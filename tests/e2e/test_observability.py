"""See inside a running system: one generation's trace across every process, and the dashboards' and alerts'
metric names against the live /metrics of every process.

The stack runs with the standard OTEL_* variables pointing at an OTLP/HTTP receiver this test starts (the same
exporter and protocol a collector would get). The generation is made with the public client package (admint-
client) the way the README shows: create → wait → download.
"""

import itertools
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from admint.client import AdmintClient, GenerationRequest
from admint.contracts.stages import PIPELINE
from admint.devstack.processes import DevStack
from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.waterfall import render

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
API_KEY = "e2e-obs-" + os.urandom(6).hex()
ARTIFACTS = Path(os.environ.get("ADMINT_TEST_ARTIFACTS", ROOT / "out" / "test-artifacts"))
PROCESSES = ("gateway", *(stage.service for stage in PIPELINE.stages))
"""The processes one generation's trace must cross: the gateway and the service of every stage."""


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    otlp = OtlpReceiver().start()
    yield otlp
    otlp.stop()


@pytest.fixture(scope="module")
def traced_system(tmp_path_factory: pytest.TempPathFactory, receiver: OtlpReceiver) -> Iterator[DevStack]:
    stack = DevStack(
        tmp_path_factory.mktemp("e2e-obs"),
        env={"ADMINT_RENDER_LONG_SIDE": "320", "ADMINT_DEV_API_KEY": API_KEY, "ADMINT_ENVIRONMENT": "test",
             "ADMINT_SSE_KEEPALIVE_S": "1", "ADMINT_WATCHDOG_INTERVAL_S": "2",
             "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"},
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _ancestors(span: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> list[ReceivedSpan]:
    chain = []
    while span.parent_id and span.parent_id in by_id:
        span = by_id[span.parent_id]
        chain.append(span)
    return chain


def _wait_for_spans(receiver: OtlpReceiver, trace_id: str, wanted: set[str], timeout_s: float = 30) -> list:
    deadline = time.monotonic() + timeout_s
    while True:
        spans = receiver.trace(trace_id)
        names = {s.name for s in spans}
        if wanted <= names or time.monotonic() > deadline:
            return spans
        time.sleep(0.3)


def test_one_trace_holds_every_hop_in_stage_order(traced_system: DevStack, receiver: OtlpReceiver,
                                                  tmp_path: Path) -> None:
    with AdmintClient(traced_system.api_url, api_key=API_KEY) as client:
        accepted = client.create_generation(GenerationRequest(brief="15 s ad for a steel bottle, calm", duration_s=15,
                                                              seed=7))
        generation = client.wait(accepted.id)
        video = client.download(accepted.id, tmp_path / "ad.mp4")
    assert generation.status == "completed", generation.error
    assert video.stat().st_size > 10_000
    trace_id = generation.trace_id
    assert trace_id is not None and re.fullmatch(r"[0-9a-f]{32}", trace_id)

    handler = {stage.name: f"{stage.service} handle {stage.entry_event}" for stage in PIPELINE.stages}
    spans = _wait_for_spans(receiver, trace_id, set(handler.values()))
    by_id = {s.span_id: s for s in spans}
    picture = render(spans, ARTIFACTS / f"trace-{trace_id}.png", f"generation {accepted.id}")
    print(f"trace waterfall: {picture}")

    assert {f"admint-{p}" for p in PROCESSES} <= {s.service for s in spans}
    roots = [s for s in spans if s.parent_id is None]
    assert [r.name for r in roots] == ["POST /v1/generations"], [r.name for r in roots]
    assert roots[0].service == "admint-gateway"

    # parent/child in stage order: each stage's handler span descends from the previous stage's
    stage_spans = []
    for stage in PIPELINE.stages:
        found = [s for s in spans if s.name == handler[stage.name]]
        assert found, f"no span {handler[stage.name]!r}"
        stage_spans.append(found[0])
    last = stage_spans[-1]
    lineage = [s.span_id for s in _ancestors(last, by_id)]
    assert lineage[-1] == roots[0].span_id
    positions = [lineage.index(s.span_id) for s in stage_spans[:-1]]
    assert positions == sorted(positions, reverse=True), "stage handlers out of order in the lineage"
    for earlier, later in itertools.pairwise(stage_spans):
        assert earlier.start_ns <= later.start_ns
        hops = _ancestors(later, by_id)
        assert any(h.kind == 5 and h.service == later.service for h in hops)  # SpanKind.CONSUMER (process)
        assert any(h.kind == 4 and h.service == earlier.service for h in hops)  # SpanKind.PRODUCER (publish)

    # the work under the handlers: ffmpeg runs, S3 calls, MongoDB commands, provider calls
    def under(service: str, predicate) -> list[ReceivedSpan]:  # type: ignore[no-untyped-def]
        return [s for s in spans if s.service == f"admint-{service}" and predicate(s)]

    assert under("chunker", lambda s: s.name == "ffmpeg")
    assert under("stitcher", lambda s: s.name.startswith("ffmpeg") or s.name.startswith("ffprobe"))
    assert under("exporter", lambda s: s.name.startswith("s3 "))
    assert under("storyboard", lambda s: s.name == "provider image.render")
    assert under("chunker", lambda s: s.name == "provider video.animate")
    assert under("planner", lambda s: "db.system" in s.attributes or "db.system.name" in s.attributes)
    assert under("gateway", lambda s: "db.system" in s.attributes or "db.system.name" in s.attributes)
    assert under("gateway", lambda s: s.name.startswith("gateway sse send"))
    for s in under("chunker", lambda s: s.name == "ffmpeg"):
        assert any(a.name.startswith("chunker handle") for a in _ancestors(s, by_id))

    # logs, traces and the API meet: every service logged lines carrying this trace id
    for process in PROCESSES:
        log_file = traced_system.data_dir / "logs" / f"{process}{'' if process == 'gateway' else '-0'}.log"
        lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
        assert any(line.get("trace_id") == trace_id for line in lines), process


def _metric_names(exposition: str) -> set[str]:
    return {line.split()[2] for line in exposition.splitlines() if line.startswith("# TYPE ")}


def test_every_metric_the_dashboard_and_alerts_name_is_exported(traced_system: DevStack) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "infra"))
    from deploycheck.observability import dashboard_exprs, referenced_metrics, rule_exprs

    monitoring = ROOT / "k8s" / "observability"
    wanted = referenced_metrics(dashboard_exprs(monitoring / "admint-dashboard.json")
                                + rule_exprs(monitoring / "prometheusrule.yaml"))
    exported: set[str] = set()
    for proc in [*traced_system.services.values(), traced_system.gateway]:
        assert proc is not None
        exported |= _metric_names(httpx.get(f"{proc.url}/metrics", timeout=5).text)
    missing = {m for m in wanted if m not in exported and f"{m}_total" not in exported
               and m.removesuffix("_total") not in exported}
    assert len(wanted) >= 15
    assert not missing, f"named by a panel or an alert but exported by no process: {sorted(missing)}"


def test_readme_example_runs(traced_system: DevStack, tmp_path: Path) -> None:
    """The README's ten lines, as written, against the running gateway."""
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- client-example -->", 2)[1].split("```python", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) <= 10
    env = {**os.environ, "ADMINT_API_URL": traced_system.api_url, "ADMINT_API_KEY": API_KEY}
    result = subprocess.run([os.environ.get("PYTHON", "python"), "-c", block], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "ad.mp4").stat().st_size > 10_000
