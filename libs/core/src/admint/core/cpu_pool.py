"""Python-bound media work (the offline models' rendering) in worker processes, off the event loop's GIL.

A worker's event loop shares its process's GIL with every thread the process runs. Rendering a frame at a small
size is mostly interpreter work: with two render threads busy, a message the loop was handed waited for the GIL —
and for the thread holding it to be scheduled again on two busy cores — up to 60 ms before its handler started
(issue 16: the hop p99 missed its 25 ms target in the chunker and the storyboard only). In a process of its own
the rendering competes for the cores only, at the tools' nice level, below the loop.

The processes start from a clean interpreter (`spawn`: the service has threads, a fork would copy their locks),
import what `preload` names once, and end when the service does — or within a second of it dying, however it died:
they never outlive it to write into a workdir a sibling replica has since swept.
"""

import asyncio
import contextlib
import importlib
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol, TypeVar

from admint.core.cpus import usable_cpus
from admint.core.errors import TransientError
from admint.core.metrics import RENDER_SECONDS

T = TypeVar("T")

PARENT_CHECK_S = 1.0
"""How often a pool process checks that the service that started it is alive."""


class Stop(Protocol):
    """What a blocking renderer checks to end early: a threading.Event, or a StopFlag across processes."""

    def is_set(self) -> bool: ...


class StopFlag:
    """A cancel signal another process can see: a file that exists once the work should stop. The offline models
    check `is_set()` once per frame (a stat: microseconds), as they would a `threading.Event`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def set(self) -> None:
        with contextlib.suppress(OSError):  # the workdir already went: nothing is left to stop
            self.path.touch()

    def is_set(self) -> bool:
        return self.path.exists()

    def clear(self) -> None:
        """Before the work starts (a retry in the same workdir must not find the last run's flag)."""
        self.path.unlink(missing_ok=True)


class CpuPool:
    """`await pool.run(fn, *args)`: `fn(*args)` in one of `workers` processes (picklable function and arguments,
    importable by name). A process that dies mid-call (killed, out of memory) fails that call with a
    TransientError — the message is retried — and the next call starts a new pool."""

    def __init__(self, workers: int = 0, *, nice: int = 0, preload: Sequence[str] = ()) -> None:
        self.workers = workers if workers > 0 else usable_cpus()
        """0: one per usable core (core.cpus)."""
        self.nice = nice
        """Nice levels below the service process (its tools' level: ToolPriority)."""
        self.preload = tuple(preload)
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=get_context("spawn"), initializer=_start_process,
                initargs=(os.getpid(), os.getpriority(os.PRIO_PROCESS, 0) + self.nice, self.preload),
            )
        return self._executor

    def warm(self) -> None:
        """Start every process now (each imports `preload`), so the first render does not wait for them."""
        pool = self._pool()
        for _ in range(self.workers):
            pool.submit(_ready)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a pool process; its wall time and outcome are observed (admint_render_seconds)."""
        pool = self._pool()
        work = getattr(fn, "__name__", type(fn).__name__)
        started, outcome = time.perf_counter(), "failed"
        try:
            result = await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
            outcome = "ok"
            return result
        except BrokenProcessPool as exc:
            outcome = "died"
            if self._executor is pool:
                self._executor = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise TransientError(f"a render process died during {work}") from exc
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            RENDER_SECONDS.labels(work, outcome).observe(time.perf_counter() - started)

    def pids(self) -> list[int]:
        """The pool's live processes (for tests and diagnostics)."""
        pool = self._executor
        if pool is None:
            return []
        return [p.pid for p in (pool._processes or {}).values() if p.is_alive() and p.pid is not None]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


async def off_the_loop(pool: CpuPool | None, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a process of `pool` when there is one (a service), else in a thread (tests, tools)."""
    if pool is not None:
        return await pool.run(fn, *args)
    return await asyncio.to_thread(fn, *args)


def _start_process(parent: int, nice: int, preload: Sequence[str]) -> None:
    """In each new pool process: the tools' priority, signals left to the service (a Ctrl-C or a SIGTERM to the
    process group stops the service, which finishes or cancels the work), the preloaded modules, and a watch
    that ends the process once the service is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, min(19, nice))
    for name in preload:
        importlib.import_module(name)
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _ready() -> int:
    return os.getpid()
