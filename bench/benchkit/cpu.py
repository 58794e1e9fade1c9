"""CPU seconds per process (its own, its live descendants' and its waited-for children's: ffmpeg runs and render
processes count for the service that ran them) and of the whole machine, from /proc: how busy each process and
both cores were over a window."""

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process and of its live descendants (the render processes a
    chunker or storyboard keeps: their CPU reaches cutime only when they end), seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / TICK + sum(process_cpu_s(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except OSError:
        return []


def process_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of every core since boot."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / TICK, total / TICK


def load_average() -> float:
    return os.getloadavg()[0]


@dataclass
class CpuWindow:
    """CPU used by each named process and by the machine between start() and stop()."""

    pids: Mapping[str, int]
    started: dict[str, float] | None = None
    wall_s: float = 0.0
    per_process: dict[str, float] | None = None
    machine_busy_s: float = 0.0
    machine_total_s: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0

    def start(self) -> "CpuWindow":
        self.started = {name: process_cpu_s(pid) for name, pid in self.pids.items()}
        self._machine = machine_cpu()
        self._t0 = time.monotonic()
        self.load_before = load_average()
        return self

    def stop(self) -> "CpuWindow":
        assert self.started is not None
        self.wall_s = time.monotonic() - self._t0
        self.per_process = {name: process_cpu_s(pid) - self.started[name] for name, pid in self.pids.items()}
        busy, total = machine_cpu()
        self.machine_busy_s, self.machine_total_s = busy - self._machine[0], total - self._machine[1]
        self.load_after = load_average()
        return self

    @property
    def ours_s(self) -> float:
        return sum((self.per_process or {}).values())

    def lines(self) -> list[str]:
        assert self.per_process is not None
        cores = os.cpu_count() or 1
        out = [f"  {'process':<14} {'cpu s':>8} {'of wall':>8}"]
        for name, cpu in sorted(self.per_process.items(), key=lambda kv: -kv[1]):
            out.append(f"  {name:<14} {cpu:8.2f} {cpu / max(self.wall_s, 1e-9):8.0%}")
        out.append(f"  {'all ours':<14} {self.ours_s:8.2f} {self.ours_s / max(self.wall_s, 1e-9):8.0%}"
                   f"   (of {cores} cores: {self.ours_s / max(self.wall_s * cores, 1e-9):.0%})")
        others = max(0.0, self.machine_busy_s - self.ours_s)
        out.append(f"  machine busy {self.machine_busy_s:.2f} s of {self.machine_total_s:.2f} s "
                   f"({self.machine_busy_s / max(self.machine_total_s, 1e-9):.0%}); not ours {others:.2f} s; "
                   f"load {self.load_before:.2f} → {self.load_after:.2f}")
        return out
