"""SSE for a thousand watchers: the gateway's event feed under 1,000 concurrent clients.

    uv run python bench/sse.py [--clients 1000] [--generations 100]

A fresh local stack (NATS, S3, Mongo-wire) and the gateway as a process; no pipeline services: a driver
publishes each generation's events to the stream at the pace of a real six-beat generation (about 60 events over
ten seconds, in bursts: the frames, the chunks), so the only thing measured is the feed. The generations
themselves are created through the API (POST), so every client is a real, authorised SSE request.

Scenarios, in one run:
  (0) baseline: one client on one generation;
  (a) 1,000 clients on one generation, connecting over 5 s while its events flow (late ones get history first);
  (b) 1,000 clients over 100 generations (10 each), a tenth of them dropping the connection mid-run and
      resuming with Last-Event-ID.
Every client must get every event of its generation exactly once and in order (checked against the stream);
printed: delivery lag of live events (the event's occurred_at → the client read it) p50/p99, the gateway's CPU
and peak RSS. Targets: p99 < 250 ms, zero missing, gateway RSS < 300 MB.

Where the lag goes, printed per scenario: the lag p99 of events that occurred while clients were still connecting
(each connect costs the gateway its auth, rate-limit and ownership reads) and after; the gateway's CPU per event
delivered; the CPU of the stack's servers; the load generator's own CPU and event-loop delay (when that delay is
large, the clients' process, not the gateway, held the reads back) and how busy the machine was. Every live read
is written to <workdir>/lags.json (scenario, generation, sequence, occurred_at, lag) for a closer look.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
from benchkit.cpu import load_average, machine_cpu, process_cpu_s, process_rss_mb
from benchkit.results import Row, write_rows
from benchkit.trace import quantile

from admint.contracts.ids import new_id
from admint.devstack.localstack import LocalStack, Ports
from admint.devstack.processes import ServiceProcess

API_KEY = "bench-sse-" + os.urandom(6).hex()
P99_MS, RSS_MB = 250.0, 300.0
OCCURRED = re.compile(r'"occurred_at": ?"([^"]+)"')
PAD = "x" * 900  # real events carry a plan, frames, chunks: about a kilobyte each


def schedule() -> list[tuple[float, str]]:
    """(seconds after start, event type) of a six-beat generation, compressed to about ten seconds."""
    out = [(0.2, "plan.completed.v1"), (0.25, "stage.progress.v1")]
    out += [(0.3 + 0.01 * b, "frame.requested.v1") for b in range(6)]
    for b in range(6):
        out += [(0.8 + 0.15 * b, "frame.completed.v1"), (0.81 + 0.15 * b, "stage.progress.v1")]
    out += [(1.7, "storyboard.completed.v1"), (1.75, "stage.progress.v1")]
    out += [(1.76 + 0.005 * b, "chunk.requested.v1") for b in range(6)]
    for c in range(12):
        t = 2.5 + 0.55 * c
        out += [(t, "chunk.completed.v1"), (t + 0.01, "stage.progress.v1")]
        if c < 6:
            out.append((t + 0.02, "chunk.requested.v1"))
    out += [(9.2, "chunks.completed.v1"), (9.25, "stage.progress.v1"), (10.0, "stitch.completed.v1"),
            (10.6, "export.completed.v1"), (10.61, "generation.completed.v1")]
    return sorted(out)


async def drive(nats_url: str, gids: list[str], stagger_s: float) -> None:
    """Publish every generation's schedule (generation i starts i × stagger_s later)."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    began = time.monotonic()
    plan = sorted((i * stagger_s + t, n, gid, kind) for i, gid in enumerate(gids)
                  for n, (t, kind) in enumerate(schedule()))
    for at, n, gid, kind in plan:
        delay = began + at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        body = {"type": kind, "id": new_id(), "generation_id": gid, "producer": "bench", "attempt": 0,
                "occurred_at": datetime.now(UTC).isoformat(), "n": n, "pad": PAD}
        await js.publish(f"gen.{gid}.{kind}", json.dumps(body).encode(), stream="ADMINT",
                         headers={"Nats-Msg-Id": f"{gid}:{n}"})
    await nc.close()


@dataclass
class Client:
    gid: str
    drop_after: int | None = None
    """Close the connection after this many events and resume with Last-Event-ID."""
    ids: list[int] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    live_ids: list[int] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    """When each live event of `lags` occurred (to split the lag by phase: clients connecting, or all connected)."""
    statuses: list[int] = field(default_factory=list)
    reconnects: int = 0
    done: bool = False
    error: str = ""


async def read_sse(host: str, port: int, client: Client, connected_at: list[float]) -> None:
    """A plain asyncio SSE client (HTTP/1.1, chunked): reads until the server ends the stream after the
    terminal event, reconnecting with Last-Event-ID when it drops the connection itself or is told to retry."""
    while not client.done:
        last = f"Last-Event-ID: {client.ids[-1]}\r\n" if client.ids else ""
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            client.error = str(exc)
            await asyncio.sleep(0.2)
            continue
        writer.write(f"GET /v1/generations/{client.gid}/events HTTP/1.1\r\nHost: bench\r\n"
                     f"Authorization: Bearer {API_KEY}\r\nAccept: text/event-stream\r\n{last}\r\n".encode())
        status = int((await reader.readline()).split()[1])
        client.statuses.append(status)
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        if status != 200:
            writer.close()
            await asyncio.sleep(1.0)
            continue
        since = time.time()
        connected_at.append(since)
        buffer = b""
        dropped = False
        while True:
            size_line = await reader.readline()
            if not size_line:
                break
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                break
            buffer += await reader.readexactly(size)
            await reader.readexactly(2)
            *blocks, buffer = buffer.split(b"\n\n")
            now = time.time()
            for block in blocks:
                text = block.decode()
                if not text.startswith("id: "):
                    continue  # retry hints and keep-alives
                head, _, rest = text.partition("\n")
                client.ids.append(int(head[4:]))
                event = rest.partition("\n")[0][7:]
                found = OCCURRED.search(rest)
                if found:
                    sent = datetime.fromisoformat(found.group(1)).timestamp()
                    if sent >= since:  # a live event (history replayed on connect has no lag to speak of)
                        client.lags.append(now - sent)
                        client.sent_at.append(sent)
                        client.live_ids.append(client.ids[-1])
                if event == "generation.completed.v1":
                    client.done = True
            if client.drop_after is not None and len(client.ids) >= client.drop_after and not client.done:
                client.drop_after = None
                client.reconnects += 1
                dropped = True
                break
        writer.close()
        if not dropped and not client.done:
            client.reconnects += 1  # the server ended it (a slow client's retry hint): resume


class LoopDelay:
    """The load generator's own event-loop delay (a 20 ms sleep's overshoot): when it is large, the clients'
    process, not the gateway, is what delays the reads, and the lag says more about the bench than the feed."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.02)
            self.delays.append(time.monotonic() - t - 0.02)

    def __enter__(self) -> "LoopDelay":
        self.task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()


class GatewayWatch:
    """Samples the gateway's RSS while a scenario runs; CPU from /proc before/after."""

    def __init__(self, pid: int, servers: dict[str, int]) -> None:
        self.pid, self.peak_mb, self.running = pid, 0.0, False
        self.cpu0 = 0.0
        self.machine0 = (0.0, 0.0)
        self.servers = servers
        """The stack's servers (name → pid), whose CPU shares the two cores with the gateway."""
        self.servers_cpu: dict[str, float] = {}

    def __enter__(self) -> "GatewayWatch":
        self.running, self.cpu0, self.machine0 = True, process_cpu_s(self.pid), machine_cpu()
        self.servers_cpu = {name: process_cpu_s(pid) for name, pid in self.servers.items()}
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak_mb = max(self.peak_mb, process_rss_mb(self.pid))
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()
        self.cpu_s = process_cpu_s(self.pid) - self.cpu0
        self.servers_cpu = {name: process_cpu_s(pid) - self.servers_cpu[name] for name, pid in self.servers.items()}
        busy, total = machine_cpu()
        self.machine_busy = (busy - self.machine0[0]) / max(1e-9, total - self.machine0[1])


@dataclass
class Outcome:
    name: str
    clients: list[Client]
    wall_s: float
    cpu_s: float
    peak_mb: float
    missing: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    refused: int = 0
    bench_cpu_s: float = 0.0
    loop_delays_ms: list[float] = field(default_factory=list)
    machine_busy: float = 0.0
    connect_until: float = 0.0
    """Wall time (epoch) when the last client started connecting."""
    servers_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def lags_ms(self) -> list[float]:
        return [lag * 1000 for c in self.clients for lag in c.lags]


async def scenario(name: str, api_url: str, nats_url: str, gateway_pid: int, servers: dict[str, int],
                   generations: int, clients: int, reconnect_share: float, connect_over_s: float) -> Outcome:
    async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=30) as api:
        gids = []
        for _ in range(generations):
            response = await api.post("/v1/generations", json={"brief": "An ad for a bench, calm", "duration_s": 30})
            response.raise_for_status()
            gids.append(response.json()["id"])
    host, port = api_url.removeprefix("http://").split(":")
    rng = random.Random(16)
    crowd = [Client(gids[i % generations]) for i in range(clients)]
    for c in rng.sample(crowd, round(clients * reconnect_share)):
        c.drop_after = rng.randint(5, 40)
    connected: list[float] = []
    own_cpu = time.process_time()
    connect_until = time.time() + connect_over_s
    with GatewayWatch(gateway_pid, servers) as watch, LoopDelay() as delay:
        began = time.monotonic()
        driver = asyncio.create_task(drive(nats_url, gids, stagger_s=connect_over_s / max(1, generations)))

        async def start(i: int, c: Client) -> None:
            await asyncio.sleep(connect_over_s * i / clients)
            await read_sse(host, int(port), c, connected)

        await asyncio.wait_for(asyncio.gather(driver, *(start(i, c) for i, c in enumerate(crowd))), timeout=300)
        wall = time.monotonic() - began
    outcome = Outcome(name, crowd, wall, watch.cpu_s, watch.peak_mb, bench_cpu_s=time.process_time() - own_cpu,
                      loop_delays_ms=[d * 1000 for d in delay.delays], machine_busy=watch.machine_busy,
                      connect_until=connect_until, servers_cpu=watch.servers_cpu)
    expected = await stream_sequences(nats_url, gids)
    for c in crowd:
        want = expected[c.gid]
        outcome.missing += len(set(want) - set(c.ids))
        outcome.duplicates += len(c.ids) - len(set(c.ids))
        outcome.out_of_order += sum(1 for a, b in zip(c.ids, c.ids[1:], strict=False) if b <= a)
        outcome.refused += sum(1 for s in c.statuses if s != 200)
    return outcome


async def stream_sequences(nats_url: str, gids: list[str]) -> dict[str, list[int]]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    out: dict[str, list[int]] = {}
    for gid in gids:
        sub = await js.subscribe(f"gen.{gid}.>", ordered_consumer=True, stream="ADMINT")
        seqs: list[int] = []
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                break
            seqs.append(int(msg.metadata.sequence.stream))
            if msg.metadata.num_pending == 0:
                break
        await sub.unsubscribe()
        out[gid] = seqs
    await nc.close()
    return out


def report(o: Outcome) -> None:
    lags = o.lags_ms
    reconnects = sum(c.reconnects for c in o.clients)
    print(f"{o.name}: {len(o.clients)} clients, {sum(len(c.ids) for c in o.clients)} events delivered in "
          f"{o.wall_s:.1f} s; lag p50 {quantile(lags, 0.5):.1f} ms p99 {quantile(lags, 0.99):.1f} ms "
          f"(max {max(lags, default=0):.0f}); missing {o.missing}, duplicates {o.duplicates}, "
          f"out of order {o.out_of_order}, refused {o.refused}, reconnects {reconnects}; "
          f"gateway CPU {o.cpu_s:.1f} s, peak RSS {o.peak_mb:.0f} MB", flush=True)
    delivered = sum(len(c.ids) for c in o.clients)
    print(f"  gateway CPU {o.cpu_s / max(o.wall_s, 1e-9) * 100:.0f}% of one core over the run, "
          f"{o.cpu_s / max(delivered, 1) * 1e6:.0f} µs per event delivered (connects included)", flush=True)
    connecting = [lag * 1000 for c in o.clients for lag, at in zip(c.lags, c.sent_at, strict=True)
                  if at < o.connect_until]
    after = [lag * 1000 for c in o.clients for lag, at in zip(c.lags, c.sent_at, strict=True)
             if at >= o.connect_until]
    print(f"  lag p99 while clients connect {quantile(connecting, 0.99):.1f} ms ({len(connecting)} reads), "
          f"after {quantile(after, 0.99):.1f} ms ({len(after)}); the load generator: CPU {o.bench_cpu_s:.1f} s, "
          f"its loop delay p99 {quantile(o.loop_delays_ms, 0.99):.1f} ms (max {max(o.loop_delays_ms, default=0):.0f}); "
          f"machine busy {o.machine_busy * 100:.0f}% (all cores); servers' CPU "
          + ", ".join(f"{name} {cpu:.1f} s" for name, cpu in o.servers_cpu.items()), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--generations", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/admint-bench/sse"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    print(f"sse bench: {args.clients} clients; load {load_average():.2f}", flush=True)
    local = LocalStack(args.workdir, Ports.free())
    local.start()
    env = {**local.env, "ADMINT_DEV_API_KEY": API_KEY, "ADMINT_ENVIRONMENT": "test", "ADMINT_LOG_LEVEL": "WARNING",
           "ADMINT_RATE_LIMIT_PER_MINUTE": "100000", "ADMINT_MAX_ACTIVE_GENERATIONS": "1000",
           "ADMINT_MAX_STREAMS_PER_KEY": "5000", "ADMINT_STREAM_CONNECTS_PER_MINUTE": "1000000",
           "ADMINT_MAX_CONNECTIONS": "5000"}
    gateway = ServiceProcess("admint.gateway", env, args.workdir / "logs", name="gateway",
                             port_env="ADMINT_GATEWAY_PORT")
    try:
        gateway.start()
        assert gateway.process is not None
        pid, nats_url = gateway.process.pid, local.env["ADMINT_NATS_URL"]
        servers = {name: server.process.pid for name, server in local.servers.items() if server.process is not None}
        base = asyncio.run(scenario("(0) 1 client, 1 generation", gateway.url, nats_url, pid, servers, 1, 1, 0.0, 0.0))
        report(base)
        print(f"gateway pid {pid}", flush=True)
        one = asyncio.run(scenario(f"(a) {args.clients} clients, 1 generation", gateway.url, nats_url, pid,
                                   servers, 1, args.clients, 0.0, 5.0))
        report(one)
        many = asyncio.run(scenario(f"(b) {args.clients} clients, {args.generations} generations, 10% resume",
                                    gateway.url, nats_url, pid, servers, args.generations, args.clients, 0.1,
                                    5.0))
        report(many)
        rss_now = process_rss_mb(pid)
    finally:
        gateway.terminate(timeout_s=20)
        local.stop()
    base_p99 = quantile(base.lags_ms, 0.99)
    rows = []
    for key, o in (("one generation", one), ("100 generations, 10% resume", many)):
        p99 = quantile(o.lags_ms, 0.99)
        bad = o.missing + o.duplicates + o.out_of_order
        rows.append(Row("sse", f"{args.clients} clients, {key}: lag p99",
                        f"{p99:.0f} ms ({p99 / max(base_p99, 0.1):.1f}x one client's)", f"< {P99_MS:g} ms",
                        p99 < P99_MS))
        rows.append(Row("sse", f"{args.clients} clients, {key}: missing/dup/out of order",
                        f"{o.missing}/{o.duplicates}/{o.out_of_order} (refused {o.refused})", "0/0/0", bad == 0))
    peak = max(one.peak_mb, many.peak_mb)
    rows.append(Row("sse", "gateway peak RSS", f"{peak:.0f} MB (after: {rss_now:.0f} MB)", f"< {RSS_MB:g} MB",
                    peak < RSS_MB))
    print(f"one client's lag p99 {base_p99:.1f} ms (in-run baseline)")
    dump = args.workdir / "lags.json"  # every live read: (scenario, generation, sequence, occurred_at, lag s)
    dump.write_text(json.dumps([(o.name[:3], c.gid, seq, at, lag) for o in (one, many) for c in o.clients
                                for seq, at, lag in zip(c.live_ids, c.sent_at, c.lags, strict=True)]))
    write_rows("sse", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
