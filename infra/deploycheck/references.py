"""Cross-object references in one render: what a typo would otherwise only reveal in the cluster
(a Service selecting no pod, an Ingress to a missing port, an env var from a missing ConfigMap key), and the
rule that committed manifests carry no secret values outside the development overlay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .render import Doc, ref
from .workloads import pod_spec

EXTERNAL_SECRETS = frozenset({"admint-secrets", "admint-tls"})
"""Secrets created out of band in a real cluster (k8s/README.md); referenced by name, never rendered."""


def _named(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _workload_templates(docs: list[Doc]) -> Iterator[tuple[Doc, Doc]]:
    for doc in docs:
        spec = pod_spec(doc)
        if spec is not None:
            template = (
                doc["spec"]["template"]
                if doc["kind"] != "CronJob"
                else doc["spec"]["jobTemplate"]["spec"]["template"]
            )
            yield doc, template


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_config_refs(docs: list[Doc], allow_external: bool = True) -> list[str]:
    """envFrom, env valueFrom and volumes must name ConfigMaps/Secrets (and keys) present in this render."""
    configmaps, secrets = _named(docs, "ConfigMap"), _named(docs, "Secret")
    problems: list[str] = []

    def need(where: str, kind: str, name: str, key: str | None, optional: bool) -> None:
        pool = configmaps if kind == "ConfigMap" else secrets
        if name not in pool:
            if optional or (kind == "Secret" and allow_external and name in EXTERNAL_SECRETS):
                return
            problems.append(f"{where}: {kind}/{name} is not in this render")
            return
        data: dict[str, Any] = {**pool[name].get("data", {}), **pool[name].get("stringData", {})}
        if key is not None and key not in data:
            problems.append(f"{where}: {kind}/{name} has no key {key!r}")

    for doc, template in _workload_templates(docs):
        spec = template["spec"]
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            where = f"{ref(doc)} container {c['name']}"
            for src in c.get("envFrom", []):
                for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if field in src:
                        need(where, kind, src[field]["name"], None, src[field].get("optional", False))
            for env in c.get("env", []):
                value_from = env.get("valueFrom", {})
                for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    if field in value_from:
                        r = value_from[field]
                        need(where, kind, r["name"], r["key"], r.get("optional", False))
        for vol in spec.get("volumes", []):
            if "configMap" in vol:
                need(
                    ref(doc),
                    "ConfigMap",
                    vol["configMap"]["name"],
                    None,
                    vol["configMap"].get("optional", False),
                )
            if "secret" in vol:
                need(
                    ref(doc),
                    "Secret",
                    vol["secret"]["secretName"],
                    None,
                    vol["secret"].get("optional", False),
                )
    return problems


def check_selectors(docs: list[Doc]) -> list[str]:
    """Services, PodDisruptionBudgets, HPAs and Ingresses must point at something that exists."""
    templates = list(_workload_templates(docs))
    problems: list[str] = []
    for svc in (d for d in docs if d["kind"] == "Service"):
        matches = [
            (w, t)
            for w, t in templates
            if _selects(svc["spec"].get("selector", {}), t["metadata"].get("labels", {}))
        ]
        if not matches:
            problems.append(f"{ref(svc)}: selector {svc['spec'].get('selector')} matches no pod template")
            continue
        named = {
            p.get("name") for _, t in matches for c in t["spec"]["containers"] for p in c.get("ports", [])
        }
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if isinstance(target, str) and target not in named:
                problems.append(f"{ref(svc)}: targetPort {target!r} is not a named container port")
    for pdb in (d for d in docs if d["kind"] == "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"].get("matchLabels", {})
        if not any(_selects(selector, t["metadata"].get("labels", {})) for _, t in templates):
            problems.append(f"{ref(pdb)}: selector {selector} matches no pod template")
    workloads = {(w["kind"], w["metadata"]["name"]) for w, _ in templates}
    for hpa in (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        if (target["kind"], target["name"]) not in workloads:
            problems.append(
                f"{ref(hpa)}: scaleTargetRef {target['kind']}/{target['name']} not in this render"
            )
    services = _named(docs, "Service")
    for ing in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ing["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                target_svc = services.get(backend["name"])
                port = backend["port"].get("name", backend["port"].get("number"))
                if target_svc is None:
                    problems.append(f"{ref(ing)}: backend Service/{backend['name']} not in this render")
                    continue
                offered = {p.get("name") for p in target_svc["spec"]["ports"]}
                offered |= {p["port"] for p in target_svc["spec"]["ports"]}
                if port not in offered:
                    problems.append(f"{ref(ing)}: Service/{backend['name']} has no port {port!r}")
    return problems


def check_no_secret_values(docs: list[Doc], is_dev: bool) -> list[str]:
    """Outside the development overlay, Secrets are referenced, never rendered with values."""
    if is_dev:
        return []
    return [
        f"{ref(d)}: a Secret with values is rendered; reference an out-of-band Secret instead"
        for d in docs
        if d["kind"] == "Secret"
    ]
