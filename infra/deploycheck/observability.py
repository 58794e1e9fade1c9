"""Monitoring checks: the alert rules pass `promtool` (syntax and the rule unit tests), the dashboard is up to
date and well formed, every admint Deployment is scraped by a PodMonitor/ServiceMonitor, and the metric names the
dashboard and the rules use (`referenced_metrics`, compared with live /metrics by tests/e2e/test_observability)."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .render import Doc, ref
from .tools import find_tool
from .workloads import is_admint, pod_spec

METRIC = re.compile(r"\b(admint_[a-zA-Z0-9_]+)\b")
SUFFIXES = ("_bucket", "_count", "_sum")


def rule_groups(rule_file: Path) -> list[dict[str, Any]]:
    doc = yaml.safe_load(rule_file.read_text())
    return list(doc["spec"]["groups"])


def rule_exprs(rule_file: Path) -> list[str]:
    return [r["expr"] for g in rule_groups(rule_file) for r in g["rules"]]


def dashboard_exprs(dashboard_file: Path) -> list[str]:
    dashboard = json.loads(dashboard_file.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def referenced_metrics(exprs: list[str]) -> set[str]:
    """admint_* metric names in PromQL, without the histogram series suffixes."""
    names = set()
    for expr in exprs:
        for name in METRIC.findall(expr):
            for suffix in SUFFIXES:
                if name.endswith(suffix):
                    name = name[: -len(suffix)]
                    break
            names.add(name)
    return names


def check_rules(rule_file: Path, tests_file: Path | None = None) -> list[str]:
    """`promtool check rules` on the PrometheusRule's groups, then `promtool test rules` on the unit tests."""
    promtool = find_tool("promtool")
    if promtool is None:
        return ["promtool not found: `make setup` installs it (Debian package prometheus)"]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "admint-rules.yml"
        rules.write_text(yaml.safe_dump({"groups": rule_groups(rule_file)}, sort_keys=False))
        proc = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            problems.append(f"promtool check rules {rule_file.name}: {proc.stdout}{proc.stderr}".strip())
        if tests_file is not None and tests_file.exists():
            test = Path(tmp) / tests_file.name
            test.write_text(tests_file.read_text())
            proc = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True, text=True,
                                  timeout=60, cwd=tmp)
            if proc.returncode != 0:
                problems.append(f"promtool test rules {tests_file.name}: {proc.stdout}{proc.stderr}".strip())
    return problems


def check_dashboard(dashboard_file: Path) -> list[str]:
    try:
        dashboard = json.loads(dashboard_file.read_text())
    except (OSError, ValueError) as exc:
        return [f"{dashboard_file.name}: not readable JSON: {exc}"]
    problems = []
    ids = [p["id"] for p in dashboard.get("panels", [])]
    if len(ids) != len(set(ids)):
        problems.append(f"{dashboard_file.name}: panel ids repeat")
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            continue
        if not panel.get("targets") or not all(t.get("expr") for t in panel["targets"]):
            problems.append(f"{dashboard_file.name}: panel {panel.get('title')!r} has no query")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"{dashboard_file.name}: panel {panel.get('title')!r} does not use $datasource")
    return problems


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def check_monitors(docs: list[Doc]) -> list[str]:
    """Every admint Deployment's pods are selected by a PodMonitor and expose a port it scrapes."""
    monitors = [d for d in docs if d["kind"] == "PodMonitor"]
    if not monitors:
        return []  # this target ships no monitoring (base, dev): nothing to check
    problems = []
    for doc in docs:
        if doc["kind"] != "Deployment" or not is_admint(doc):
            continue
        spec = pod_spec(doc)
        assert spec is not None
        labels = doc["spec"]["template"]["metadata"].get("labels", {})
        ports = {p.get("name") for c in spec["containers"] for p in c.get("ports", [])}
        scraped = [m for m in monitors if _selects(m["spec"]["selector"], labels)
                   and ports & {e["port"] for e in m["spec"]["podMetricsEndpoints"]}]
        if not scraped:
            problems.append(f"{ref(doc)}: no PodMonitor scrapes its pods (labels {labels}, ports {sorted(ports)})")
    return problems
