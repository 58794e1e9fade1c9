"""How many cores this process may use: what it is allowed to run on, capped by its cgroup's CPU quota.

`os.cpu_count()` is the node's core count. In a Kubernetes pod limited to 2 CPUs on a 32-core node it said 32:
32 render processes (~105 MB each) and 32 encode slots for a quota of two cores.
"""

import math
import os
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
"""cgroup v2: "<quota> <period>" in microseconds, or "max <period>" without a limit."""


def usable_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """Cores in this process's CPU affinity, at most its cgroup quota rounded up; at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _quota(cpu_max)
    return max(1, min(cores, quota) if quota is not None else cores)


def _quota(cpu_max: Path) -> int | None:
    try:
        limit, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if limit == "max":
        return None
    try:
        return math.ceil(int(limit) / int(period))
    except (ValueError, ZeroDivisionError):
        return None
