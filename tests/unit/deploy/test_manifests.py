"""What the rendered Kubernetes manifests promise, asserted directly on `kubectl kustomize` output."""

import pytest
from deploycheck.render import Doc
from k8s_gen import stale_files

from admint.contracts.subjects import STREAM_NAME
from admint.core.topology import SERVICES, consumers_of, scaling_consumer

pytestmark = pytest.mark.unit
TARGETS = ("base", "overlays/dev", "overlays/prod")


def named(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("service", SERVICES)
def test_every_worker_has_a_deployment_and_a_scaledobject_on_its_durable_consumers(
    rendered: dict[str, list[Doc]], target: str, service: str
) -> None:
    docs = rendered[target]
    assert service in named(docs, "Deployment")
    scalers = [
        so for so in named(docs, "ScaledObject").values() if so["spec"]["scaleTargetRef"]["name"] == service
    ]
    assert len(scalers) == 1
    triggers = scalers[0]["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"nats-jetstream"}
    assert {t["metadata"]["stream"] for t in triggers} == {STREAM_NAME}
    by_consumer = {t["metadata"]["consumer"]: t for t in triggers}
    assert set(by_consumer) == {c.durable for c in consumers_of(service)}
    assert triggers[0]["metadata"]["consumer"] == scaling_consumer(service).durable
    for spec in consumers_of(service):
        assert by_consumer[spec.durable]["metadata"]["lagThreshold"] == str(spec.lag_threshold)


def test_committed_worker_manifests_are_what_the_generator_writes() -> None:
    assert stale_files() == []


@pytest.mark.parametrize("target", ["base", "overlays/prod"])
def test_no_secret_values_outside_the_dev_overlay(rendered: dict[str, list[Doc]], target: str) -> None:
    assert [d for d in rendered[target] if d["kind"] == "Secret"] == []


@pytest.mark.parametrize("target", TARGETS)
def test_pods_drain_before_they_are_killed(rendered: dict[str, list[Doc]], target: str) -> None:
    for name, dep in named(rendered[target], "Deployment").items():
        pod = dep["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in pod["containers"][0].get("env", [])}
        drain = float(env["ADMINT_SHUTDOWN_GRACE_S"])
        assert pod["terminationGracePeriodSeconds"] >= drain + 15, name
    chunker = named(rendered[target], "Deployment")["chunker"]["spec"]["template"]["spec"]
    assert chunker["terminationGracePeriodSeconds"] >= 180


@pytest.mark.parametrize("target", TARGETS)
def test_admint_pods_are_non_root_with_a_read_only_root(rendered: dict[str, list[Doc]], target: str) -> None:
    for name, dep in named(rendered[target], "Deployment").items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for c in pod["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_sse_friendly_ingress(rendered: dict[str, list[Doc]]) -> None:
    annotations = named(rendered["base"], "Ingress")["gateway"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


def test_dev_runs_its_own_infrastructure_and_prod_does_not(rendered: dict[str, list[Doc]]) -> None:
    assert set(named(rendered["overlays/dev"], "StatefulSet")) == {"nats", "mongo", "minio"}
    assert named(rendered["overlays/prod"], "StatefulSet") == {}
    prod_config = next(d for d in rendered["overlays/prod"] if d["kind"] == "ConfigMap")["data"]
    assert prod_config["ADMINT_ENVIRONMENT"] == "production"
    assert prod_config["ADMINT_STREAM_REPLICAS"] == "3"
    dev_config = next(
        d for d in rendered["overlays/dev"] if d["metadata"]["name"].startswith("admint-config")
    )
    assert dev_config["data"]["ADMINT_ENVIRONMENT"] == "development"


def test_prod_scales_the_media_stages_higher_than_base(rendered: dict[str, list[Doc]]) -> None:
    base = named(rendered["base"], "ScaledObject")
    prod = named(rendered["overlays/prod"], "ScaledObject")
    for service in ("chunker", "stitcher", "exporter"):
        assert prod[service]["spec"]["maxReplicaCount"] > base[service]["spec"]["maxReplicaCount"]
        assert prod[service]["spec"]["triggers"] == base[service]["spec"]["triggers"]
