"""docker-compose.yml: valid for docker-compose (`config`, no engine needed) and shaped so that
`docker compose up --scale <worker>=N` works and nothing starts before what it needs is healthy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from admint.core.topology import SERVICES

from .envkeys import read_env_file, unknown_keys

INFRA = ("nats", "mongo", "minio")
APP = (*SERVICES, "gateway")


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    return None


def resolved_config(compose_file: Path) -> tuple[dict[str, Any] | None, list[str]]:
    cmd = compose_command()
    if cmd is None:
        return None, ["docker-compose not found: install it (Debian package docker-compose, `make setup`)"]
    base = [*cmd, "--project-directory", str(compose_file.parent), "-f", str(compose_file)]
    proc = subprocess.run([*base, "config"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return None, [f"{compose_file}: docker-compose config failed: {(proc.stderr or proc.stdout).strip()}"]
    return yaml.safe_load(proc.stdout), []


def check_compose(compose_file: Path) -> list[str]:
    config, problems = resolved_config(compose_file)
    if config is None:
        return problems
    services: dict[str, Any] = config.get("services", {})
    for name in (*INFRA, "bootstrap", *APP):
        if name not in services:
            problems.append(f"{compose_file}: no service {name!r}")
    for name in INFRA:
        if name in services and "healthcheck" not in services[name]:
            problems.append(f"{compose_file}: {name} needs a healthcheck (others wait for service_healthy)")
    for name in APP:
        svc = services.get(name)
        if svc is None:
            continue
        problems += _check_app_service(compose_file, name, svc)
    env_file = compose_file.parent / ".env.example"
    if env_file.exists():
        problems += check_env_example(env_file)
    else:
        problems.append(f"{env_file}: missing")
    return problems


def _check_app_service(compose_file: Path, name: str, svc: dict[str, Any]) -> list[str]:
    where = f"{compose_file}: {name}"
    problems = []
    if "container_name" in svc:
        problems.append(f"{where}: container_name prevents `--scale {name}=N`")
    if name != "gateway" and svc.get("ports"):
        problems.append(f"{where}: a worker publishes no host ports (they would clash under --scale)")
    depends = svc.get("depends_on", {})
    conditions = {k: v.get("condition") for k, v in depends.items()} if isinstance(depends, dict) else {}
    if conditions.get("bootstrap") != "service_completed_successfully":
        problems.append(f"{where}: must depend on bootstrap with condition service_completed_successfully")
    for infra in INFRA:
        if conditions.get(infra) != "service_healthy":
            problems.append(f"{where}: must depend on {infra} with condition service_healthy")
    if "healthcheck" not in svc:
        problems.append(f"{where}: needs a healthcheck")
    drain = float(svc.get("environment", {}).get("ADMINT_SHUTDOWN_GRACE_S", 60))
    grace = _seconds(svc.get("stop_grace_period", "10s"))
    if grace < drain + 15:
        problems.append(f"{where}: stop_grace_period {grace:g}s < ADMINT_SHUTDOWN_GRACE_S {drain:g} + 15")
    return problems


def _seconds(value: str | int | float) -> float:
    text = str(value).strip()
    total, number = 0.0, ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        else:
            total += float(number or 0) * {"h": 3600, "m": 60, "s": 1}.get(ch, 0)
            number = ""
    return total + (float(number) if number else 0.0)


def check_env_example(path: Path) -> list[str]:
    values = read_env_file(path)
    problems = unknown_keys(list(values), str(path))
    pairs = (("MINIO_ROOT_USER", "ADMINT_S3_ACCESS_KEY"), ("MINIO_ROOT_PASSWORD", "ADMINT_S3_SECRET_KEY"))
    for minio_key, admint_key in pairs:
        if values.get(minio_key) != values.get(admint_key):
            problems.append(
                f"{path}: {minio_key} must equal {admint_key} (MinIO's root user is admint's S3 user)"
            )
    return problems
