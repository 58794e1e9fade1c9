"""The API under load: GET of a generation and of the list at a fixed 500 requests/s for 30 s, on loopback.

    uv run python bench/api.py [--rate 500] [--seconds 30]

A fresh stack with every service at the smallest render size makes a few real generations first (so the
documents have a plan, frames, chunks, a master and exports); then an open-loop load generator (requests are
sent on schedule whether or not earlier ones came back, so a slow server cannot hide its queueing) sends GET
/v1/generations/{id} and GET /v1/generations alternately over keep-alive connections. Latency is measured from
each request's scheduled time to its last byte. In the same run, the same load on /healthz (no auth, no database)
is the baseline of the HTTP stack itself. Then `--replica-seconds` (10) of the same load over two gateway replicas
on the same cores, for information. Targets: p99 < 50 ms, 0 errors.
"""

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.cpu import load_average, process_cpu_s
from benchkit.results import Row, write_rows
from benchkit.stack import API_KEY, client, create, follow, pids, running_stack, wait_scored
from benchkit.trace import quantile

from admint.devstack.processes import DevStack, ServiceProcess

P99_MS = 50.0
MAX_CONNECTIONS = 64


class Connection:
    """One keep-alive HTTP/1.1 connection: a request, then a response with a Content-Length body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> "Connection":
        return cls(*await asyncio.open_connection(host, port))

    async def get(self, path: str, auth: bool) -> int:
        head = f"GET {path} HTTP/1.1\r\nHost: bench\r\n"
        if auth:
            head += f"Authorization: Bearer {API_KEY}\r\n"
        self.writer.write((head + "\r\n").encode())
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    late_ms: list[float] = field(default_factory=list)
    """How late the generator itself sent each request (its own scheduling delay)."""

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def open_loop(host: str, ports: list[int], paths: list[str], rate: float, seconds: float, auth: bool
                    ) -> Load:
    """Send paths round-robin at `rate` per second for `seconds`, each on an idle connection (a new one while
    fewer than MAX_CONNECTIONS are open; new connections go to the ports in turn, as a Service spreads them
    over replicas)."""
    load = Load()
    idle: list[Connection] = []
    opened = 0
    began = time.perf_counter()
    total = int(rate * seconds)
    running: set[asyncio.Task[None]] = set()

    async def one(i: int, due: float) -> None:
        nonlocal opened
        conn = idle.pop() if idle else None
        try:
            if conn is None:
                if opened >= MAX_CONNECTIONS:
                    while not idle:
                        await asyncio.sleep(0.001)
                    conn = idle.pop()
                else:
                    opened += 1
                    conn = await Connection.open(host, ports[opened % len(ports)])
            try:
                status = await conn.get(paths[i % len(paths)], auth)
            except (IndexError, ConnectionError):  # an idle connection the server closed (keep-alive timeout):
                conn.writer.close()  # what an HTTP client does, send it again on a new connection
                conn = await Connection.open(host, ports[opened % len(ports)])
                status = await conn.get(paths[i % len(paths)], auth)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            load.error(type(exc).__name__)
            opened -= 1
            return
        load.latencies_ms.append((time.perf_counter() - due) * 1000)
        if status != 200:
            load.error(f"HTTP {status}")
        idle.append(conn)

    for i in range(total):
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        load.late_ms.append(max(0.0, time.perf_counter() - due) * 1000)
        task = asyncio.create_task(one(i, due))
        running.add(task)
        task.add_done_callback(running.discard)
        load.sent += 1
    await asyncio.gather(*running)
    for conn in idle:
        conn.writer.close()
    return load


def summary(name: str, load: Load, cpu_s: float, seconds: float) -> str:
    lat = load.latencies_ms
    return (f"{name}: {load.sent} requests, p50 {quantile(lat, 0.5):.1f} ms p99 {quantile(lat, 0.99):.1f} ms "
            f"max {max(lat, default=0):.0f} ms, errors {sum(load.errors.values())} {load.errors or ''}; "
            f"gateway CPU {cpu_s:.1f} s ({cpu_s / seconds:.0%} of a core); generator late p99 "
            f"{quantile(load.late_ms, 0.99):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--replica-seconds", type=float, default=10,
                        help="length of the informational two-replica run (no target)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/admint-bench/api"))
    args = parser.parse_args()
    print(f"api bench: {args.rate:g} req/s for {args.seconds:g} s; load {load_average():.2f}", flush=True)
    with running_stack(args.workdir / "stack", {"ADMINT_RENDER_LONG_SIDE": "64", "ADMINT_LOG_LEVEL": "WARNING"}
                       ) as stack:
        with client(stack) as api:
            made = [create(api, brief="30-second ad for a desk lamp, warm", duration_s=30, seed=s)
                    for s in range(args.generations)]
            ids = [follow(api, gid, posted).generation_id for gid, posted in made]
            scored = all([wait_scored(api, gid) for gid in ids])  # the scorer's work after the end is not the API's
        print(f"{len(ids)} generations made{'' if scored else ' (the scorer had not finished them: its CPU overlaps)'}",
              flush=True)
        assert stack.gateway is not None and stack.gateway.process is not None
        host = "127.0.0.1"
        paths = [p for gid in ids for p in (f"/v1/generations/{gid}", "/v1/generations?limit=20")]
        gateways = {"gateway": stack.gateway.port}
        warm = asyncio.run(open_loop(host, list(gateways.values()), paths, args.rate, 2, True))
        print(f"warm-up: {sum(warm.errors.values())} errors", flush=True)
        pid = stack.gateway.process.pid
        cpu = process_cpu_s(pid)
        base = asyncio.run(open_loop(host, list(gateways.values()), ["/healthz"], args.rate, args.seconds / 3, False))
        print(summary("baseline GET /healthz", base, process_cpu_s(pid) - cpu, args.seconds / 3), flush=True)
        load_before = load_average()
        load = measure(stack, gateways, paths, args.rate, args.seconds, "one gateway")
        # a second replica, as the Deployment scales out (a Service spreads connections over the pods)
        second = ServiceProcess("admint.gateway", stack.env, stack.data_dir / "logs", name="gateway-1",
                                port_env="ADMINT_GATEWAY_PORT").start()
        try:
            gateways["gateway-1"] = second.port
            asyncio.run(open_loop(host, [second.port], paths, args.rate / 2, 2, True))  # its warm-up
            scaled = measure(stack, gateways, paths, args.rate, args.replica_seconds, "two gateway replicas",
                             {"gateway-1": second.process.pid if second.process else 0})
        finally:
            second.terminate(timeout_s=30)
    p99, base_p99 = quantile(load.latencies_ms, 0.99), quantile(base.latencies_ms, 0.99)
    p99_scaled = quantile(scaled.latencies_ms, 0.99)
    errors = sum(load.errors.values()) + sum(scaled.errors.values())
    print(f"p99 {p99:.1f} ms = {p99 / max(base_p99, 0.1):.1f}x the HTTP stack's own p99 ({base_p99:.1f} ms, "
          f"/healthz at the same rate); p50 {statistics.median(load.latencies_ms):.1f} ms; two replicas: p99 "
          f"{p99_scaled:.1f} ms, p50 {statistics.median(scaled.latencies_ms):.1f} ms; "
          f"load {load_before:.2f} → {load_average():.2f}")
    rows = [Row("api", f"GET generation + list at {args.rate:g}/s, one gateway: p99",
                f"{p99:.1f} ms ({p99 / max(base_p99, 0.1):.1f}x /healthz)", f"< {P99_MS:g} ms", p99 < P99_MS),
            # informational: on one 2-core machine a second replica adds no core, only a process to share them
            Row("api", f"GET generation + list at {args.rate:g}/s, two gateway replicas on the same cores: p99",
                f"{p99_scaled:.1f} ms", "", None),
            Row("api", "errors", f"{errors} of {load.sent + scaled.sent}", "0", errors == 0)]
    write_rows("api", rows, {"load": load_before})
    return 0


def measure(stack: DevStack, gateways: dict[str, int], paths: list[str], rate: float, seconds: float, label: str,
            extra: dict[str, int] | None = None) -> Load:
    """The load over these gateways; prints latency and every process's CPU per request."""
    processes = {**pids(stack), **(extra or {})}
    before = {name: process_cpu_s(p) for name, p in processes.items()}
    load = asyncio.run(open_loop("127.0.0.1", list(gateways.values()), paths, rate, seconds, True))
    spent = {name: process_cpu_s(p) - before[name] for name, p in processes.items()}
    gateway_cpu = sum(v for k, v in spent.items() if k in gateways)
    print(summary(f"GET generation + list, {label}", load, gateway_cpu, seconds), flush=True)
    print("  CPU per request by process (ms): " + ", ".join(
        f"{name} {s / max(load.sent, 1) * 1000:.2f}" for name, s in sorted(spent.items(), key=lambda kv: -kv[1])
        if s / max(load.sent, 1) * 1000 >= 0.01), flush=True)
    return load


if __name__ == "__main__":
    sys.exit(main())
