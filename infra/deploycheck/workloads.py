"""Production hygiene of admint's own pods: probes, resources, non-root, read-only root fs with a /tmp
emptyDir, a termination grace period longer than the in-process drain budget, and no fixed replica count
under an autoscaler."""

from __future__ import annotations

from admint.core.topology import SERVICES

from .render import Doc, ref

DRAIN_MARGIN_S = 15
"""Time after ADMINT_SHUTDOWN_GRACE_S for the broker to stop and the process to exit before SIGKILL."""


def is_admint(doc: Doc) -> bool:
    """A workload running one of our images (admint/<svc>, under any registry prefix or tag)."""
    spec = pod_spec(doc)
    return spec is not None and any(
        _admint_image(str(c.get("image", ""))) for c in spec.get("containers", [])
    )


def _admint_image(image: str) -> bool:
    name = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image.split("@")[0]
    return any(name == f"admint/{svc}" or name.endswith(f"/admint/{svc}") for svc in IMAGES)


IMAGES = (*SERVICES, "gateway")
"""Our images: one per worker service of the topology, and the gateway."""


def pod_spec(doc: Doc) -> Doc | None:
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return doc["spec"]["template"]["spec"]
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def check_workloads(docs: list[Doc]) -> list[str]:
    autoscaled = {
        (d["spec"]["scaleTargetRef"].get("kind", "Deployment"), d["spec"]["scaleTargetRef"]["name"])
        for d in docs
        if d["kind"] in ("ScaledObject", "HorizontalPodAutoscaler")
    }
    problems: list[str] = []
    for doc in docs:
        if not is_admint(doc):
            continue
        problems += check_pod(doc)
        if doc["kind"] == "Deployment":
            problems += check_long_running(doc)
            if (doc["kind"], doc["metadata"]["name"]) in autoscaled and "replicas" in doc["spec"]:
                problems.append(f"{ref(doc)}: sets spec.replicas although an autoscaler owns it")
    return problems


def check_pod(doc: Doc) -> list[str]:
    where = ref(doc)
    spec = pod_spec(doc) or {}
    problems: list[str] = []
    if not spec.get("securityContext", {}).get("runAsNonRoot"):
        problems.append(f"{where}: pod securityContext.runAsNonRoot must be true")
    if spec.get("securityContext", {}).get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: pod securityContext.seccompProfile must be RuntimeDefault")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for c in spec.get("containers", []):
        cwhere = f"{where} container {c['name']}"
        image = str(c.get("image", ""))
        tag = image.split("/")[-1].partition(":")[2]
        if _admint_image(image) and (not tag or tag == "latest") and "@" not in image:
            problems.append(f"{cwhere}: image {image!r} needs a fixed tag (kustomize `images:`), not latest")
        sc = c.get("securityContext", {})
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{cwhere}: readOnlyRootFilesystem must be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{cwhere}: allowPrivilegeEscalation must be false")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            problems.append(f"{cwhere}: capabilities must drop ALL")
        tmp = next((m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"), None)
        if tmp is None or "emptyDir" not in volumes.get(tmp["name"], {}):
            problems.append(f"{cwhere}: /tmp must be an emptyDir mount (the root filesystem is read-only)")
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(resources.get(kind, {}))
            if missing:
                problems.append(f"{cwhere}: resources.{kind} lacks {sorted(missing)}")
    return problems


def check_long_running(doc: Doc) -> list[str]:
    """Deployments (workers and gateway): health probes on /healthz and /readyz, grace > drain budget."""
    where = ref(doc)
    spec = doc["spec"]["template"]["spec"]
    problems: list[str] = []
    for c in spec["containers"]:
        ports = {p.get("name") for p in c.get("ports", [])} | {p["containerPort"] for p in c.get("ports", [])}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = c.get(probe, {}).get("httpGet")
            if get is None or get.get("path") != path:
                problems.append(f"{where} container {c['name']}: {probe} must GET {path}")
            elif get.get("port") not in ports:
                problems.append(
                    f"{where} container {c['name']}: {probe} port {get.get('port')!r} is not declared"
                )
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        drain = float(env.get("ADMINT_SHUTDOWN_GRACE_S") or 60.0)
        grace = spec.get("terminationGracePeriodSeconds", 30)
        if grace < drain + DRAIN_MARGIN_S:
            problems.append(
                f"{where}: terminationGracePeriodSeconds {grace} < ADMINT_SHUTDOWN_GRACE_S {drain:g} "
                f"+ {DRAIN_MARGIN_S}: in-flight work would be killed"
            )
    return problems
