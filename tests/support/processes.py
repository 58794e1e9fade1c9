"""Run admint services as real OS processes against a test stack (e2e, fault and SIGTERM tests)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from admint.runtime.localstack import free_port, log_tail


class ServiceProcess:
    """`python -m <module>` with the stack's env; waits for /healthz; stop (SIGTERM), kill (-9), restart."""

    def __init__(self, module: str, env: dict[str, str], log_dir: Path, name: str | None = None,
                 extra_env: dict[str, str] | None = None, port_env: str = "ADMINT_HEALTH_PORT") -> None:
        self.module = module
        self.name = name or module.rsplit(".", 1)[-1]
        self.port = free_port()
        self.env = {**os.environ, **env, port_env: str(self.port), "ADMINT_SERVICE_NAME": self.name.split("-")[0],
                    "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        self.log = log_dir / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True, timeout_s: float = 60.0) -> "ServiceProcess":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as fh:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module], env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        if wait_ready:
            self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{log_tail(self.log, 40)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready within {timeout_s}s:\n{log_tail(self.log, 40)}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout_s: float = 90.0) -> int:
        """SIGTERM and wait: the graceful path."""
        if not self.alive():
            return self.process.returncode if self.process else 0
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def kill(self) -> None:
        """kill -9, for fault injection."""
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart(self) -> "ServiceProcess":
        self.kill()
        return self.start()

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text
