"""Real OS processes for integration, e2e, fault and SIGTERM tests (the same runner `make demo` uses)."""

from collections.abc import Iterator
from contextlib import contextmanager

from admint.devstack.processes import DevStack, ServiceProcess


@contextmanager
def running(procs: list[ServiceProcess], ready_timeout_s: float = 120) -> Iterator[list[ServiceProcess]]:
    """Start every process at once (they import in parallel), wait until each is ready, SIGTERM them after."""
    try:
        for proc in procs:
            proc.start(wait_ready=False)
        for proc in procs:
            proc.wait_ready(timeout_s=ready_timeout_s)
        yield procs
    finally:
        for proc in procs:
            proc.terminate(timeout_s=30)


__all__ = ["DevStack", "ServiceProcess", "running"]
