"""The test stack backends: embedded real servers (default) or upstream containers (ADMINT_TEST_STACK)."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admint.devstack.localstack import LocalStack, Ports


@dataclass
class TestStack:
    """What tests need of a stack: its env, settings kwargs, and (embedded only) restart/kill of servers."""

    __test__ = False

    env: dict[str, str]
    local: LocalStack | None = None
    containers: list[Any] | None = None

    def settings_kwargs(self) -> dict[str, Any]:
        return {
            "nats_url": self.env["ADMINT_NATS_URL"],
            "mongo_url": self.env["ADMINT_MONGO_URL"],
            "s3_endpoint": self.env["ADMINT_S3_ENDPOINT"],
            "s3_access_key": self.env["ADMINT_S3_ACCESS_KEY"],
            "s3_secret_key": self.env["ADMINT_S3_SECRET_KEY"],
        }

    def restart(self, name: str, *, hard: bool = False) -> float:
        if self.local is None:
            raise RuntimeError("restarting servers is supported on the embedded stack only")
        return self.local.restart(name, hard=hard)

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()
        for container in self.containers or []:
            container.stop()


def _containers_unavailable_reason() -> str | None:
    try:
        import docker  # type: ignore[import-not-found]

        docker.from_env().ping()
    except Exception as exc:
        return f"ADMINT_TEST_STACK=containers needs a reachable Docker engine and the docker SDK: {exc}"
    return None


def start_test_stack(tmp: Path) -> TestStack:
    backend = os.environ.get("ADMINT_TEST_STACK", "embedded")
    if backend == "embedded":
        local = LocalStack(tmp, Ports.free())
        local.start()
        return TestStack(env=local.env, local=local)
    if backend == "containers":
        reason = _containers_unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        from tests.support.containers import start_containers

        env, containers = start_containers()
        return TestStack(env=env, containers=containers)
    raise RuntimeError(f"unknown ADMINT_TEST_STACK={backend!r} (embedded | containers)")
