"""The local stack as `make up` runs it: prints endpoints, stays up, stops leaving no stray processes."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from admint.devstack.localstack import LocalStack, LocalStackError, Ports, Server, free_port

pytestmark = pytest.mark.integration


def _processes_using(path: Path) -> list[str]:
    out = subprocess.run(["ps", "-eww", "-o", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if str(path) in line and "ps -eww" not in line]


def _start_run(data_dir: Path) -> tuple[subprocess.Popen[str], list[int], str]:
    """`python -m admint.devstack.localstack run` on free ports, read until it reports every endpoint."""
    ports = [free_port() for _ in range(4)]
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "admint.devstack.localstack", "run", "--data-dir", str(data_dir),
            "--nats-port", str(ports[0]), "--nats-monitor-port", str(ports[1]), "--s3-port", str(ports[2]),
            "--mongo-port", str(ports[3]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "MongoDB wire" in line or not line:
            break
    return proc, ports, "".join(lines)


def test_run_prints_endpoints_and_stops_cleanly(tmp_path: Path) -> None:
    proc, ports, text = _start_run(tmp_path)
    assert proc.stdout is not None
    assert "admint local stack is up" in text, text
    assert f"nats://127.0.0.1:{ports[0]}" in text and f"mongodb://127.0.0.1:{ports[3]}" in text
    time.sleep(1.0)
    assert proc.poll() is None, "the stack must stay up"
    servers = [p for p in _processes_using(tmp_path) if "admint.devstack.localstack" not in p]
    assert len(servers) == 3, servers
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert "stopped" in proc.stdout.read()
    assert _processes_using(tmp_path) == []


def test_servers_do_not_outlive_a_killed_stack(tmp_path: Path) -> None:
    """SIGKILL leaves no chance to clean up (a CI timeout, `kill -9`): the kernel stops the servers instead."""
    proc, _, text = _start_run(tmp_path)
    assert "admint local stack is up" in text, text
    servers = [p for p in _processes_using(tmp_path) if "admint.devstack.localstack" not in p]
    assert len(servers) == 3, servers
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while _processes_using(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_using(tmp_path) == []


def test_port_in_use_is_reported_clearly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stack = LocalStack(
            tmp_path, Ports(nats=port, nats_monitor=free_port(), s3=free_port(), mongo=free_port())
        )
        with pytest.raises(LocalStackError, match=f"port {port} is already in use"):
            stack.start()
    assert _processes_using(tmp_path) == []


def test_server_that_dies_at_start_shows_its_log_tail(tmp_path: Path) -> None:
    server = Server(
        "broken",
        [sys.executable, "-c", "import sys; print('config is bad'); sys.exit(3)"],
        free_port(),
        tmp_path / "broken.log",
        ready_timeout_s=10,
    )
    server.start()
    with pytest.raises(LocalStackError, match=r"(?s)exited with code 3.*config is bad"):
        server.wait_ready(time.monotonic())


def test_server_not_ready_in_time_is_reported(tmp_path: Path) -> None:
    server = Server(
        "sleepy",
        [sys.executable, "-c", "import time; print('warming up', flush=True); time.sleep(30)"],
        free_port(),
        tmp_path / "sleepy.log",
        ready_timeout_s=1,
    )
    server.start()
    try:
        with pytest.raises(LocalStackError, match=r"(?s)not ready on port \d+ within 1s.*warming up"):
            server.wait_ready(time.monotonic())
    finally:
        server.kill()
