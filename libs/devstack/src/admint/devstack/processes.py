"""Run the whole system on one machine as separate processes: the local stack, every service, the gateway.

`make demo` uses it to produce an ad end to end; the e2e and fault-injection tests use the same process runner.
Services are started by module name (`python -m admint.<svc>`), never imported: the dev stack stays below them.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from admint.core.topology import SERVICES
from admint.devstack.lifeline import popen_lifeline
from admint.devstack.localstack import LocalStack, Ports, free_port, log_tail


class ServiceProcess:
    """`python -m <module>` with the stack's env; waits for /readyz; terminate (SIGTERM), kill (-9), restart."""

    def __init__(
        self,
        module: str,
        env: dict[str, str],
        log_dir: Path,
        name: str | None = None,
        extra_env: dict[str, str] | None = None,
        port_env: str = "ADMINT_HEALTH_PORT",
    ) -> None:
        self.module = module
        self.name = name or module.rsplit(".", 1)[-1]
        self.port = free_port()
        self.env = {
            **os.environ,
            **env,
            port_env: str(self.port),
            "ADMINT_SERVICE_NAME": self.name.split("-")[0],
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.log = Path(log_dir) / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True, timeout_s: float = 90.0) -> "ServiceProcess":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as fh:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=popen_lifeline(),
            )
        if wait_ready:
            self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{log_tail(self.log, 40)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready within {timeout_s}s:\n{log_tail(self.log, 40)}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout_s: float = 90.0) -> int:
        """SIGTERM and wait: the graceful path."""
        if self.process is None:
            return 0
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.process.returncode if self.process.returncode is not None else -9)

    def kill(self) -> None:
        """kill -9 (fault injection)."""
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self, wait_ready: bool = True) -> "ServiceProcess":
        self.kill()
        return self.start(wait_ready=wait_ready)

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text


class DevStack:
    """The local stack plus one process per service (several replicas where asked) and the gateway."""

    def __init__(
        self,
        data_dir: Path,
        *,
        env: dict[str, str] | None = None,
        replicas: dict[str, int] | None = None,
        gateway_port: int | None = None,
        ports: Ports | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.local = LocalStack(self.data_dir, ports or Ports.free())
        self.extra_env = env or {}
        self.replicas = replicas or {}
        self.gateway_port = gateway_port or free_port()
        self.services: dict[str, ServiceProcess] = {}
        self.gateway: ServiceProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**self.local.env, **self.extra_env}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def start(self) -> dict[str, float]:
        times = self.local.start()
        began = time.monotonic()
        logs = self.data_dir / "logs"
        for svc in SERVICES:
            for replica in range(self.replicas.get(svc, 1)):
                name = f"{svc}-{replica}"
                self.services[name] = ServiceProcess(f"admint.{svc}", self.env, logs, name=name).start(False)
        self.gateway = ServiceProcess(
            "admint.gateway", self.env, logs, name="gateway", port_env="ADMINT_GATEWAY_PORT"
        )
        self.gateway.port = self.gateway_port
        self.gateway.env["ADMINT_GATEWAY_PORT"] = str(self.gateway_port)
        self.gateway.start(False)
        for proc in [*self.services.values(), self.gateway]:
            proc.wait_ready()
        times["services"] = round(time.monotonic() - began, 2)
        return times

    def stop(self) -> None:
        procs = [*self.services.values(), *([self.gateway] if self.gateway else [])]
        for proc in procs:
            if proc.alive() and proc.process is not None:
                proc.process.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.terminate(timeout_s=30)
        self.local.stop()
