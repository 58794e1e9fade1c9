"""The validator passes on the real manifests and fails on broken ones (each check proven able to fail)."""

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from deploycheck.render import Doc, Target
from k8s_validate import check_docs, check_target

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "k8s" / "schemas" / "keda.sh"
VALIDATOR = ROOT / "infra" / "k8s_validate.py"


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(name))


def container(docs: list[Doc], name: str) -> Doc:
    return find(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def test_validator_passes_on_the_repository() -> None:
    proc = subprocess.run([sys.executable, str(VALIDATOR)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "k8s-validate: ok" in proc.stdout


def test_validator_exits_non_zero_on_a_broken_deployment_file(tmp_path: Path) -> None:
    k8s = tmp_path / "k8s"
    shutil.copytree(ROOT / "k8s", k8s)
    gateway = k8s / "base" / "gateway.yaml"
    gateway.write_text(
        gateway.read_text().replace("containerPort: 8000", 'containerPort: "eight-thousand"', 1)
    )
    proc = subprocess.run(
        [sys.executable, str(VALIDATOR), "--k8s-dir", str(k8s), "--k8s-version", "1.33"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert "Deployment/gateway" in proc.stderr
    assert "eight-thousand" in proc.stderr


def test_unrenderable_overlay_is_reported(tmp_path: Path) -> None:
    k8s = tmp_path / "k8s"
    shutil.copytree(ROOT / "k8s", k8s)
    (k8s / "overlays" / "prod" / "gateway.yaml").unlink()
    problems, count = check_target(Target("overlays/prod", k8s / "overlays" / "prod"), SCHEMAS, ("1.33",))
    assert count == 0
    assert len(problems) == 1 and "kubectl kustomize" in problems[0] and "gateway.yaml" in problems[0]


def test_the_real_renders_have_no_problems(dev_docs: list[Doc], prod_docs: list[Doc]) -> None:
    assert check_docs(dev_docs, True, SCHEMAS) == []
    assert check_docs(prod_docs, False, SCHEMAS) == []


def rename_consumer(docs: list[Doc]) -> None:
    find(docs, "ScaledObject", "chunker")["spec"]["triggers"][0]["metadata"]["consumer"] = "chunker-jobs"


def change_lag(docs: list[Doc]) -> None:
    find(docs, "ScaledObject", "stitcher")["spec"]["triggers"][0]["metadata"]["lagThreshold"] = "7"


def drop_scaledobject(docs: list[Doc]) -> None:
    docs.remove(find(docs, "ScaledObject", "exporter"))


def unknown_deployment_field(docs: list[Doc]) -> None:
    container(docs, "planner")["imagePullPolice"] = "Always"


def keda_field_typo(docs: list[Doc]) -> None:
    spec = find(docs, "ScaledObject", "storyboard")["spec"]
    spec["maxReplicas"] = spec.pop("maxReplicaCount")


def writable_root(docs: list[Doc]) -> None:
    container(docs, "chunker")["securityContext"]["readOnlyRootFilesystem"] = False


def short_grace(docs: list[Doc]) -> None:
    find(docs, "Deployment", "chunker")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30


def service_port_typo(docs: list[Doc]) -> None:
    find(docs, "Service", "gateway")["spec"]["ports"][0]["targetPort"] = "htp"


def missing_configmap(docs: list[Doc]) -> None:
    container(docs, "stitcher")["envFrom"][0]["configMapRef"]["name"] = "admint-conf"


def monitoring_env_unset(docs: list[Doc]) -> None:
    del find(docs, "ConfigMap", "admint-config")["data"]["NATS_MONITORING_ENDPOINT"]


def fixed_replicas(docs: list[Doc]) -> None:
    find(docs, "Deployment", "chunker")["spec"]["replicas"] = 3


def misspelt_setting(docs: list[Doc]) -> None:
    find(docs, "ConfigMap", "admint-config")["data"]["ADMINT_NATS_ULR"] = "nats://x:4222"


def no_probe(docs: list[Doc]) -> None:
    del container(docs, "exporter")["readinessProbe"]


def latest_image(docs: list[Doc]) -> None:
    container(docs, "planner")["image"] = "admint/planner:latest"


def ingress_port_typo(docs: list[Doc]) -> None:
    find(docs, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {
        "name": "https"
    }


def pdb_selects_nothing(docs: list[Doc]) -> None:
    find(docs, "PodDisruptionBudget", "stitcher")["spec"]["selector"]["matchLabels"][
        "app.kubernetes.io/name"
    ] = "x"


def hpa_target_missing(docs: list[Doc]) -> None:
    find(docs, "HorizontalPodAutoscaler", "gateway")["spec"]["scaleTargetRef"]["name"] = "api"


def worker_open_to_all(docs: list[Doc]) -> None:
    find(docs, "NetworkPolicy", "workers-metrics-ingress")["spec"]["ingress"][0]["from"] = []


def no_default_deny(docs: list[Doc]) -> None:
    docs.remove(find(docs, "NetworkPolicy", "admint-default-deny"))
    find(docs, "NetworkPolicy", "admint-egress")["spec"]["policyTypes"] = ["Egress"]
    for name in ("gateway-ingress", "workers-metrics-ingress"):
        docs.remove(find(docs, "NetworkPolicy", name))


def egress_anywhere(docs: list[Doc]) -> None:
    find(docs, "NetworkPolicy", "admint-egress")["spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})


def webhooks_into_private_networks(docs: list[Doc]) -> None:
    find(docs, "NetworkPolicy", "notifier-webhooks-egress")["spec"]["egress"][0]["to"][0]["ipBlock"]["except"] = []


def gateway_open_to_all(docs: list[Doc]) -> None:
    find(docs, "NetworkPolicy", "gateway-ingress")["spec"]["ingress"][0]["from"] = [
        {"ipBlock": {"cidr": "0.0.0.0/0"}}]


def metrics_public(docs: list[Doc]) -> None:
    paths = find(docs, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"]
    paths[0] = {**paths[0], "path": "/", "pathType": "Prefix"}


def no_seccomp(docs: list[Doc]) -> None:
    del find(docs, "Deployment", "chunker")["spec"]["template"]["spec"]["securityContext"]["seccompProfile"]


def runs_as_root(docs: list[Doc]) -> None:
    find(docs, "Deployment", "gateway")["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = False


def keeps_capabilities(docs: list[Doc]) -> None:
    container(docs, "exporter")["securityContext"]["capabilities"] = {"drop": ["NET_RAW"]}


BREAKAGES: dict[str, tuple[Callable[[list[Doc]], None], str]] = {
    "worker reachable from anywhere": (worker_open_to_all, "takes traffic from beyond the namespaces ['monitoring']"),
    "no default deny": (no_default_deny, "no NetworkPolicy denies its ['Ingress'] by default"),
    "egress to anywhere": (egress_anywhere, "egress to every port is beyond DNS"),
    "webhooks may reach private networks": (webhooks_into_private_networks, "egress to [80] is beyond"),
    "gateway open to every address": (gateway_open_to_all, "gateway via NetworkPolicy/gateway-ingress: takes traffic"),
    "/metrics on the public Ingress": (metrics_public, "exposes /metrics, /healthz, /readyz to the public"),
    "no seccomp profile": (no_seccomp, "seccompProfile must be RuntimeDefault"),
    "runs as root": (runs_as_root, "runAsNonRoot must be true"),
    "keeps capabilities": (keeps_capabilities, "capabilities must drop ALL"),
    "consumer renamed": (rename_consumer, "'chunker-jobs' is not a durable consumer of chunker"),
    "lag threshold drift": (change_lag, "lagThreshold '7', topology.py says 1"),
    "ScaledObject missing": (drop_scaledobject, "worker exporter: no ScaledObject"),
    "unknown Deployment field": (unknown_deployment_field, "imagePullPolice"),
    "KEDA field typo": (keda_field_typo, "maxReplicas"),
    "writable root fs": (writable_root, "readOnlyRootFilesystem must be true"),
    "grace shorter than drain": (short_grace, "terminationGracePeriodSeconds 30"),
    "Service targetPort typo": (service_port_typo, "targetPort 'htp'"),
    "missing ConfigMap": (missing_configmap, "ConfigMap/admint-conf is not in this render"),
    "KEDA env unresolvable": (monitoring_env_unset, "reads env NATS_MONITORING_ENDPOINT"),
    "replicas under autoscaler": (fixed_replicas, "sets spec.replicas"),
    "misspelt setting": (misspelt_setting, "ADMINT_NATS_ULR is not a setting"),
    "no readiness probe": (no_probe, "readinessProbe must GET /readyz"),
    "latest image": (latest_image, "needs a fixed tag"),
    "Ingress port typo": (ingress_port_typo, "Service/gateway has no port 'https'"),
    "PDB selects nothing": (pdb_selects_nothing, "PodDisruptionBudget/stitcher: selector"),
    "HPA target missing": (hpa_target_missing, "scaleTargetRef Deployment/api not in this render"),
}


@pytest.mark.parametrize("case", list(BREAKAGES))
def test_each_check_catches_its_breakage(prod_docs: list[Doc], case: str) -> None:
    breaks, message = BREAKAGES[case]
    breaks(prod_docs)
    problems = check_docs(prod_docs, False, SCHEMAS, ("1.33",))
    assert any(message in p for p in problems), problems


def test_a_rendered_secret_fails_outside_dev(prod_docs: list[Doc]) -> None:
    prod_docs.append(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "leak"}, "data": {"k": "dg=="}}
    )
    assert any(
        "Secret/leak: a Secret with values" in p for p in check_docs(prod_docs, False, SCHEMAS, ("1.33",))
    )
    assert not any("Secret/leak" in p for p in check_docs(prod_docs, True, SCHEMAS, ("1.33",)))


def test_secret_key_references_are_checked_in_dev(dev_docs: list[Doc]) -> None:
    minio = find(dev_docs, "StatefulSet", "minio")["spec"]["template"]["spec"]["containers"][0]
    minio["env"][0]["valueFrom"]["secretKeyRef"]["key"] = "ADMINT_S3_USER"
    problems = check_docs(dev_docs, True, SCHEMAS, ("1.33",))
    assert any("has no key 'ADMINT_S3_USER'" in p for p in problems), problems
