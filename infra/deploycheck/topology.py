"""Every worker has a Deployment and a KEDA ScaledObject whose nats-jetstream triggers name exactly the
durable consumers the code declares (admint.core.topology): one source of truth, checked on the
rendered output."""

from __future__ import annotations

from admint.contracts.subjects import STREAM_NAME
from admint.core.topology import SERVICES, consumers_of, scaling_consumer

from .render import Doc, ref

TRIGGER_TYPE = "nats-jetstream"
MONITORING_PARAM = "natsServerMonitoringEndpoint"


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def check_workers(docs: list[Doc]) -> list[str]:
    deployments = by_kind(docs, "Deployment")
    scaled = by_kind(docs, "ScaledObject")
    problems: list[str] = []
    targets: dict[str, str] = {}
    for name, so in scaled.items():
        target = so["spec"]["scaleTargetRef"]
        if target.get("kind", "Deployment") != "Deployment" or target["name"] not in deployments:
            problems.append(
                f"ScaledObject/{name}: scaleTargetRef {target} is not a Deployment in this render"
            )
        targets[target["name"]] = name
    for service in SERVICES:
        if service not in deployments:
            problems.append(f"worker {service}: no Deployment named {service!r}")
        if service not in targets:
            problems.append(f"worker {service}: no ScaledObject scales Deployment/{service}")
            continue
        problems += check_triggers(service, scaled[targets[service]])
    return problems


def check_triggers(service: str, so: Doc) -> list[str]:
    """The triggers of one worker's ScaledObject against that worker's consumers in topology.py."""
    where = ref(so)
    expected = {c.durable: c for c in consumers_of(service)}
    problems: list[str] = []
    seen: set[str] = set()
    for trigger in so["spec"].get("triggers", []):
        meta = trigger.get("metadata", {})
        if trigger.get("type") != TRIGGER_TYPE:
            problems.append(f"{where}: trigger type {trigger.get('type')!r}, expected {TRIGGER_TYPE!r}")
            continue
        consumer = meta.get("consumer")
        if consumer not in expected:
            problems.append(
                f"{where}: consumer {consumer!r} is not a durable consumer of {service} "
                f"(topology.py declares {sorted(expected)})"
            )
            continue
        seen.add(consumer)
        if meta.get("stream") != STREAM_NAME:
            problems.append(
                f"{where}: consumer {consumer}: stream {meta.get('stream')!r}, expected {STREAM_NAME!r}"
            )
        if meta.get("account") != "$G":
            problems.append(f"{where}: consumer {consumer}: account {meta.get('account')!r}, expected '$G'")
        if meta.get("lagThreshold") != str(expected[consumer].lag_threshold):
            problems.append(
                f"{where}: consumer {consumer}: lagThreshold {meta.get('lagThreshold')!r}, "
                f"topology.py says {expected[consumer].lag_threshold}"
            )
        if MONITORING_PARAM not in meta and "authenticationRef" not in trigger:
            problems.append(f"{where}: consumer {consumer}: no {MONITORING_PARAM} and no authenticationRef")
    lead = scaling_consumer(service).durable
    if lead not in seen:
        problems.append(f"{where}: no trigger on {lead!r}, the consumer that drives {service}'s scaling")
    for missing in sorted(set(expected) - seen - {lead}):
        problems.append(f"{where}: no trigger on consumer {missing!r}")
    spec = so["spec"]
    low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
    if low > high:
        problems.append(f"{where}: minReplicaCount {low} > maxReplicaCount {high}")
    if "fallback" in spec and spec["fallback"]["replicas"] > high:
        problems.append(f"{where}: fallback.replicas above maxReplicaCount {high}")
    return problems


def check_trigger_auth(docs: list[Doc]) -> list[str]:
    """An authenticationRef must exist; its env parameters must resolve in the scaled container."""
    auths = by_kind(docs, "TriggerAuthentication")
    deployments = by_kind(docs, "Deployment")
    configmaps = by_kind(docs, "ConfigMap")
    problems: list[str] = []
    for name, so in by_kind(docs, "ScaledObject").items():
        deployment = deployments.get(so["spec"]["scaleTargetRef"]["name"])
        for trigger in so["spec"].get("triggers", []):
            auth_name = trigger.get("authenticationRef", {}).get("name")
            if auth_name is None:
                continue
            auth = auths.get(auth_name)
            if auth is None:
                problems.append(f"ScaledObject/{name}: TriggerAuthentication/{auth_name} not in this render")
                continue
            for env in auth["spec"].get("env", []):
                if deployment is not None and not _env_resolves(deployment, env, configmaps):
                    problems.append(
                        f"ScaledObject/{name}: {auth_name} reads env {env['name']} from container "
                        f"{env.get('containerName', '(first)')}, which does not define it"
                    )
    return problems


def _env_resolves(deployment: Doc, env: Doc, configmaps: dict[str, Doc]) -> bool:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    wanted = env.get("containerName")
    container = next((c for c in containers if c["name"] == wanted), None) if wanted else containers[0]
    if container is None:
        return False
    if any(e["name"] == env["name"] for e in container.get("env", [])):
        return True
    for source in container.get("envFrom", []):
        cm = configmaps.get(source.get("configMapRef", {}).get("name", ""))
        if cm is not None and env["name"] in cm.get("data", {}):
            return True
    return False
