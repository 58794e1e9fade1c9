"""Child processes that end with the process that started them.

The local stack's servers and the dev stack's services run in their own sessions (so Ctrl-C in a terminal reaches
only our drain logic), which also means nothing stops them when their parent dies without cleaning up: pytest
killed by a CI timeout, `make demo` killed with SIGKILL. On Linux the kernel can send a child a signal when its
parent dies (PR_SET_PDEATHSIG); `popen_lifeline()` returns the `preexec_fn` that asks for it. Elsewhere it is a
no-op and the old behaviour (stop() on the normal path) remains.
"""

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[[int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    fn = libc.prctl
    fn.argtypes = [ctypes.c_int, ctypes.c_ulong]
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


PRCTL = _prctl()
"""Resolved once in the parent: the function the forked child calls must not need the import system."""


def popen_lifeline(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen: the child gets `sig` when the thread that started it exits (i.e. the
    parent process dies; start children from the main thread). None where the kernel has no such feature."""
    if PRCTL is None:
        return None
    prctl, parent = PRCTL, os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), sig)

    return arm
