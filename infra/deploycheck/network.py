"""Who may talk to admint's pods, and where they may talk to (NetworkPolicies), and what the Ingress exposes.

The rules of issue 17: every admint pod is selected for both Ingress and Egress (denied by default); only the
gateway takes traffic from outside, and only from the ingress controller's namespace (plus Prometheus); workers
take nothing but metrics scrapes from the monitoring namespace on their health port; egress goes only to DNS,
NATS, MongoDB, S3 and TLS (model APIs, managed stores); the public Ingress never routes /metrics, /healthz or
/readyz.
"""

from __future__ import annotations

from typing import Any

from .render import Doc, ref
from .workloads import is_admint, pod_spec

GATEWAY = "gateway"
INGRESS_NAMESPACES = frozenset({"ingress-nginx", "monitoring"})
METRICS_NAMESPACE = "monitoring"
EGRESS_PORTS = frozenset({53, 4222, 27017, 9000, 443})
WEBHOOK_SENDER = "notifier"
"""The one service that calls out to clients' webhook URLs: http too, but to public addresses only."""
PRIVATE_RANGES = frozenset({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"})
PRIVATE_PATHS = ("/metrics", "/healthz", "/readyz")


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        value, op = labels.get(expr["key"]), expr["operator"]
        if (op == "In" and value not in expr["values"]) or (op == "NotIn" and value in expr["values"]):
            return False
        if (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


def _namespaces(peer: dict[str, Any]) -> set[str] | None:
    """The namespaces a `from` peer admits by name; None when it admits more (IP blocks, any namespace)."""
    if "ipBlock" in peer or "namespaceSelector" not in peer:
        return None
    name = (peer["namespaceSelector"].get("matchLabels") or {}).get("kubernetes.io/metadata.name")
    return {name} if name else None


def _ingress_problems(where: str, rules: list[dict[str, Any]], gateway: bool) -> list[str]:
    allowed = INGRESS_NAMESPACES if gateway else {METRICS_NAMESPACE}
    port = "http" if gateway else "health"
    problems = []
    for rule in rules:
        peers = rule.get("from") or []
        names = [_namespaces(p) for p in peers]
        if not peers or any(n is None or not n <= allowed for n in names):
            problems.append(f"{where}: takes traffic from beyond the namespaces {sorted(allowed)}")
        ports = [p.get("port") for p in rule.get("ports") or []]
        if ports != [port] * len(ports) or not ports:
            problems.append(f"{where}: ingress must be limited to port {port!r}, allows {ports or 'every port'}")
    return problems


def _egress_problems(where: str, rules: list[dict[str, Any]], sender: bool = False) -> list[str]:
    problems = []
    for rule in rules:
        ports = {p.get("port") for p in rule.get("ports") or []}
        if sender and ports <= {80, 443} and ports and _public_only(rule.get("to") or []):
            continue
        if not ports or not ports <= EGRESS_PORTS:
            problems.append(f"{where}: egress to {sorted(ports - EGRESS_PORTS, key=str) or 'every port'} is "
                            f"beyond DNS, NATS, MongoDB, S3 and TLS {sorted(EGRESS_PORTS)}")
    return problems


def _public_only(peers: list[dict[str, Any]]) -> bool:
    """Every peer an ipBlock that excludes the private ranges (webhooks must never reach inside)."""
    return bool(peers) and all(
        "ipBlock" in p and PRIVATE_RANGES <= set(p["ipBlock"].get("except") or []) for p in peers)


def check_network(docs: list[Doc]) -> list[str]:
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    problems: list[str] = []
    for doc in docs:
        if not is_admint(doc):
            continue
        labels = (doc["spec"]["template"]["metadata"].get("labels") or {}) if pod_spec(doc) else {}
        mine = [p for p in policies if _selects(p["spec"].get("podSelector") or {}, labels)]
        kinds = {t for p in mine for t in p["spec"].get("policyTypes") or []}
        where = ref(doc)
        if not {"Ingress", "Egress"} <= kinds:
            problems.append(f"{where}: no NetworkPolicy denies its {sorted({'Ingress', 'Egress'} - kinds)} "
                            "by default")
        gateway = labels.get("app.kubernetes.io/name") == GATEWAY
        for policy in mine:
            pwhere = f"{where} via NetworkPolicy/{policy['metadata']['name']}"
            problems += _ingress_problems(pwhere, policy["spec"].get("ingress") or [], gateway)
            sender = labels.get("app.kubernetes.io/name") == WEBHOOK_SENDER
            problems += _egress_problems(pwhere, policy["spec"].get("egress") or [], sender)
    return problems + check_ingress_paths(docs)


def _routes(path: str, kind: str, target: str) -> bool:
    if kind == "Exact":
        return path == target
    return path == "/" or target == path or target.startswith(path.rstrip("/") + "/")


def check_ingress_paths(docs: list[Doc]) -> list[str]:
    problems = []
    for doc in (d for d in docs if d["kind"] == "Ingress"):
        for rule in doc["spec"].get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                exposed = [t for t in PRIVATE_PATHS if _routes(path["path"], path.get("pathType", "Prefix"), t)]
                if exposed:
                    problems.append(f"{ref(doc)}: path {path['path']} ({path.get('pathType')}) exposes "
                                    f"{', '.join(exposed)} to the public")
    return problems
