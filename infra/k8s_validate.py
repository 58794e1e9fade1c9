"""Validate every deployment file offline; exit 1 on any problem (what `make k8s-validate` runs).

    uv run python infra/k8s_validate.py [--k8s-dir k8s] [--compose-file docker-compose.yml]
                                        [--dockerfile infra/Dockerfile] [--k8s-version 1.29 ...]

1. the generated worker manifests are up to date with admint.core.topology (infra/k8s_gen.py --check);
2. `kubectl kustomize` renders base and every overlay;
3. each rendered object validates: built-in kinds against Kubernetes' schemas (kubernetes-validate, strict),
   KEDA kinds against k8s/schemas/keda.sh;
4. every worker has a Deployment and a ScaledObject on exactly its durable consumers; references resolve;
   pods are non-root with read-only roots, probes, resources and a grace period longer than their drain;
   no Secret values outside overlays/dev; ADMINT_* keys are real settings;
5. docker-compose.yml passes `docker-compose config -q` and is scalable; .env.example agrees with itself;
6. infra/Dockerfile passes hadolint and copies every workspace member;
7. infra/nats.conf parses (`nats-server -t`) and the dev overlay's copy is identical;
8. monitoring (k8s/observability): the alert rules pass `promtool check rules` and their unit tests
   (`promtool test rules`), the Grafana dashboard is generated from infra/dashboard_gen.py and well formed, every
   Deployment of a target that ships a PodMonitor is scraped by it; the AsyncAPI document is up to date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncapi_gen
import dashboard_gen
import k8s_gen
from deploycheck import (
    compose,
    dockerfile,
    natsconf,
    network,
    observability,
    references,
    schemas,
    topology,
    workloads,
)
from deploycheck.envkeys import unknown_keys
from deploycheck.render import Doc, RenderError, Target, render, targets

ROOT = Path(__file__).resolve().parent.parent


def check_target(target: Target, schema_dir: Path, versions: tuple[str, ...]) -> tuple[list[str], int]:
    try:
        docs = render(target.path)
    except RenderError as exc:
        return [str(exc)], 0
    problems = check_docs(docs, target.is_dev, schema_dir, versions)
    return [f"[{target.name}] {p}" for p in problems], len(docs)


def check_docs(
    docs: list[Doc], is_dev: bool, schema_dir: Path, versions: tuple[str, ...] = schemas.DEFAULT_K8S_VERSIONS
) -> list[str]:
    """Every check that runs on one rendered target."""
    problems = schemas.validate_all(docs, schema_dir, versions)
    problems += topology.check_workers(docs)
    problems += topology.check_trigger_auth(docs)
    problems += workloads.check_workloads(docs)
    problems += network.check_network(docs)
    problems += references.check_config_refs(docs)
    problems += references.check_selectors(docs)
    problems += references.check_no_secret_values(docs, is_dev)
    problems += observability.check_monitors(docs)
    problems += check_env_names(docs)
    return problems


def check_env_names(docs: list[Doc]) -> list[str]:
    names: list[str] = []
    for doc in docs:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("admint-config"):
            names += list(doc.get("data", {}))
        spec = workloads.pod_spec(doc)
        if spec is not None and workloads.is_admint(doc):
            names += [e["name"] for c in spec["containers"] for e in c.get("env", [])]
    return unknown_keys(sorted(set(names)), "rendered manifests")


def run(k8s_dir: Path, compose_file: Path, docker_file: Path, versions: tuple[str, ...]) -> list[str]:
    problems = k8s_gen.stale_files(k8s_dir / "base" / "workers")
    problems += natsconf.check_nats_conf(
        ROOT / "infra" / "nats.conf", [k8s_dir / "overlays" / "dev" / "nats.conf"]
    )
    rendered = 0
    for target in targets(k8s_dir):
        found, count = check_target(target, k8s_dir / "schemas" / "keda.sh", versions)
        problems += found
        rendered += count
        print(f"k8s-validate: {target.name}: {count} objects, {len(found)} problems")
    monitoring = k8s_dir / "observability"
    watch = observability.check_rules(monitoring / "prometheusrule.yaml", monitoring / "rules-test.yaml")
    watch += observability.check_dashboard(monitoring / "admint-dashboard.json")
    if dashboard_gen.main(["--check"]) != 0:
        watch.append("k8s/observability/admint-dashboard.json is stale: run `python infra/dashboard_gen.py`")
    if asyncapi_gen.main(["--check"]) != 0:
        watch.append("contracts asyncapi.json is stale: run `make asyncapi`")
    print(f"k8s-validate: monitoring (promtool, dashboard, asyncapi): {len(watch)} problems")
    problems += watch
    compose_problems = compose.check_compose(compose_file)
    print(f"k8s-validate: {compose_file.name}: {len(compose_problems)} problems")
    docker_problems = dockerfile.check_dockerfile(docker_file, ROOT)
    print(f"k8s-validate: {docker_file.name}: {len(docker_problems)} problems")
    return problems + compose_problems + docker_problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Validate admint's Kubernetes, compose and Docker files offline."
    )
    parser.add_argument("--k8s-dir", type=Path, default=ROOT / "k8s")
    parser.add_argument("--compose-file", type=Path, default=ROOT / "docker-compose.yml")
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "infra" / "Dockerfile")
    parser.add_argument(
        "--k8s-version",
        action="append",
        dest="versions",
        help=f"Kubernetes version(s) to validate against (default {schemas.DEFAULT_K8S_VERSIONS})",
    )
    args = parser.parse_args(argv)
    versions = tuple(args.versions or schemas.DEFAULT_K8S_VERSIONS)
    problems = run(args.k8s_dir.resolve(), args.compose_file.resolve(), args.dockerfile.resolve(), versions)
    for problem in problems:
        print(f"  FAIL {problem}", file=sys.stderr)
    print(f"k8s-validate: {'FAILED, ' + str(len(problems)) + ' problems' if problems else 'ok'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
