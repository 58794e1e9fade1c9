"""The chaos soak's machinery: a supervisor that restarts whatever dies (as Kubernetes would), and a monkey that
kills one random process every few seconds (any service replica, the gateway, NATS, the Mongo-wire server or the
S3 server; servers come back on their data)."""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from admint.devstack.processes import DevStack, ServiceProcess

SERVERS = ("nats", "mongo", "s3")


@dataclass
class Supervisor:
    """Polls every process; a dead one is started again after `restart_delay_s` (a pod's restart)."""

    stack: DevStack
    restart_delay_s: float = 1.0
    restarts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def processes(self) -> dict[str, ServiceProcess]:
        procs = dict(self.stack.services)
        if self.stack.gateway is not None:
            procs["gateway"] = self.stack.gateway
        return procs

    def targets(self) -> list[str]:
        return [*self.processes(), *SERVERS]

    def kill(self, name: str) -> None:
        """kill -9 one process by name (the supervisor will bring it back)."""
        with self._lock:
            if name in SERVERS:
                self.stack.local.servers[name].kill()
            else:
                self.processes()[name].kill()

    def _revive(self) -> None:
        for name in SERVERS:
            server = self.stack.local.servers[name]
            if server.process is not None and server.process.poll() is not None:
                time.sleep(self.restart_delay_s)
                with self._lock:
                    self.stack.local.restart(name)
                self.restarts[name] += 1
        for name, proc in self.processes().items():
            if not proc.alive():
                time.sleep(self.restart_delay_s)
                with self._lock:
                    proc.start(wait_ready=False)
                self.restarts[name] += 1

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._revive()
            except Exception as exc:  # a restart that failed is retried on the next round
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            self._stop.wait(0.2)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="supervisor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Monkey:
    """Every `min_s`–`max_s` seconds (seeded) kills one random target, until `until` (a monotonic time)."""

    supervisor: Supervisor
    until: float
    seed: int = 17
    min_s: float = 2.0
    max_s: float = 15.0
    kills: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        rng = random.Random(self.seed)
        while not self._stop.wait(rng.uniform(self.min_s, self.max_s)):
            if time.monotonic() >= self.until:
                return
            victim = rng.choice(self.supervisor.targets())
            self.supervisor.kill(victim)
            self.kills[victim] += 1

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="monkey", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
