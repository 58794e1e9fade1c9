"""Generate the Grafana dashboard of admint (`k8s/observability/admint-dashboard.json`) from the panel table below.

    uv run python infra/dashboard_gen.py            # rewrite it
    uv run python infra/dashboard_gen.py --check    # exit 1 when stale (k8s-validate runs this)

Every query groups by a label (`service`, `stage`, `durable`, `event_type`, `model`) instead of naming services,
stages or consumers, so a new service, stage or consumer appears on the dashboard without an edit. The metric
names are checked against the processes' /metrics by tests/e2e/test_observability.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "k8s" / "observability" / "admint-dashboard.json"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Panel:
    title: str
    exprs: tuple[tuple[str, str], ...]
    """(PromQL, legend) per series."""
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    width: int = 12
    stack: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def q(expr: str, legend: str) -> tuple[str, str]:
    return (expr, legend)


ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    ("Generations", (
        Panel("Generations finished, by outcome", (
            q('sum by (event_type) (increase(admint_events_published_total{event_type=~"generation\\\\.'
              '(completed|failed|cancelled)\\\\.v1", duplicate="false"}[$__rate_interval]))', "{{event_type}}"),
        ), stack=True, description="generation.completed / failed / cancelled events stored by the stream."),
        Panel("Generations accepted by the gateway", (
            q("sum(rate(admint_gateway_generations_accepted_total[$__rate_interval])) * 60", "per minute"),
        ), unit="short"),
        Panel("Stage duration p50 / p95", (
            q("histogram_quantile(0.5, sum by (stage, le) (rate(admint_stage_seconds_bucket[$__rate_interval])))",
              "p50 {{stage}}"),
            q("histogram_quantile(0.95, sum by (stage, le) (rate(admint_stage_seconds_bucket[$__rate_interval])))",
              "p95 {{stage}}"),
            q("max by (stage) (admint_stage_budget_seconds)", "budget {{stage}}"),
        ), unit="s", width=24, description="From entering a stage's status to its completion event."),
        Panel("Generations failed by the watchdog (stuck past budget)", (
            q("sum by (stage) (increase(admint_stage_timeouts_total[$__rate_interval]))", "{{stage}}"),
        )),
        Panel("Cost by stage and model (USD per hour)", (
            q("sum by (stage, model) (rate(admint_cost_usd_total[$__rate_interval])) * 3600", "{{stage}} {{model}}"),
        ), unit="currencyUSD", stack=True),
        Panel("Render processes: p95 per work, and processes lost mid-call", (
            q("histogram_quantile(0.95, sum by (work, le) (rate(admint_render_seconds_bucket[$__rate_interval])))",
              "p95 {{work}}"),
            q("sum by (work) (increase(admint_render_seconds_count{outcome=\"died\"}[$__rate_interval]))",
              "died {{work}}"),
        ), unit="s", description="Chunk encodes, caption cards and storyboard frames rendered beside the workers' "
                                 "event loops (core.cpu_pool)."),
    )),
    ("Bus", (
        Panel("Per-hop bus latency p95 (stored → handler starts)", (
            q("histogram_quantile(0.95, sum by (durable, le) "
              "(rate(admint_bus_hop_seconds_bucket[$__rate_interval])))", "{{durable}}"),
        ), unit="s"),
        Panel("Consumer lag (pending messages per durable consumer)", (
            q("max by (durable) (admint_consumer_pending_messages)", "{{durable}}"),
        )),
        Panel("Unacknowledged messages per durable consumer", (
            q("max by (durable) (admint_consumer_ack_pending_messages)", "{{durable}}"),
        )),
        Panel("Events handled per second, by outcome", (
            q("sum by (outcome) (rate(admint_events_consumed_total[$__rate_interval]))", "{{outcome}}"),
        ), stack=True),
        Panel("Retries and dead letters", (
            q("sum by (service, event_type) (rate(admint_retries_total[$__rate_interval]))",
              "retry {{service}} {{event_type}}"),
            q("sum by (service, event_type) (increase(admint_dead_lettered_total[$__rate_interval]))",
              "dead letter {{service}} {{event_type}}"),
        )),
        Panel("Handler time p95 by event type", (
            q("histogram_quantile(0.95, sum by (service, event_type, le) "
              "(rate(admint_handler_seconds_bucket[$__rate_interval])))", "{{service}} {{event_type}}"),
        ), unit="s"),
    )),
    ("Work and clients", (
        Panel("In-flight work per service", (
            q("sum by (service) (admint_in_flight)", "{{service}}"),
        ), stack=True),
        Panel("SSE clients", (q("sum(admint_gateway_sse_clients)", "open feeds"),)),
        Panel("API requests by status", (
            q("sum by (status) (rate(admint_gateway_requests_total[$__rate_interval]))", "{{status}}"),
        ), stack=True),
        Panel("API latency p95 by route", (
            q("histogram_quantile(0.95, sum by (route, le) "
              "(rate(admint_gateway_request_seconds_bucket[$__rate_interval])))", "{{route}}"),
        ), unit="s"),
        Panel("Provider calls by model and outcome", (
            q("sum by (model, outcome) (rate(admint_provider_calls_total[$__rate_interval]))",
              "{{model}} {{outcome}}"),
        )),
        Panel("Rate-limited requests", (
            q("sum by (limit) (rate(admint_gateway_rate_limited_total[$__rate_interval]))", "{{limit}}"),
        )),
    )),
)


def panel_json(panel: Panel, pid: int, x: int, y: int) -> dict[str, object]:
    return {
        "id": pid, "type": panel.kind, "title": panel.title, "description": panel.description,
        "datasource": DATASOURCE, "gridPos": {"h": 8, "w": panel.width, "x": x, "y": y},
        "targets": [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
                    for i, (expr, legend) in enumerate(panel.exprs)],
        "fieldConfig": {"defaults": {"unit": panel.unit, "custom": {
            "stacking": {"mode": "normal" if panel.stack else "none"}, "fillOpacity": 20 if panel.stack else 0}},
            "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                    "tooltip": {"mode": "multi"}},
    }


def build() -> dict[str, object]:
    panels: list[dict[str, object]] = []
    pid, y = 1, 0
    for title, row in ROWS:
        panels.append({"id": pid, "type": "row", "title": title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        pid, y, x = pid + 1, y + 1, 0
        for panel in row:
            if x + panel.width > 24:
                x, y = 0, y + 8
            panels.append(panel_json(panel, pid, x, y))
            pid, x = pid + 1, x + panel.width
        y += 8
    return {
        "uid": "admint-pipeline", "title": "admint — pipeline", "tags": ["admint"], "schemaVersion": 39,
        "version": 1, "editable": True, "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
        "timezone": "browser", "graphTooltip": 1,
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "label": "Prometheus", "current": {}, "hide": 0}]},
        "annotations": {"list": []}, "links": [], "panels": panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is stale: run `python infra/dashboard_gen.py`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
