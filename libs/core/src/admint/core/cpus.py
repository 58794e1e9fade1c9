"""How many cores this process may use: what it is allowed to run on, capped by its cgroup's CPU quota.

`os.cpu_count()` is the node's core count. In a Kubernetes pod limited to 2 CPUs on a 32-core node it said 32:
32 render processes (~105 MB each) and 32 encode slots for a quota of two cores.
"""

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
"""cgroup v2: `cpu.max` holds "<quota> <period>" in microseconds ("max <period>" without a limit); cgroup v1:
`cpu/cpu.cfs_quota_us` (-1 without a limit) and `cpu/cpu.cfs_period_us`."""


def usable_cpus(cgroup: Path = CGROUP) -> int:
    """Cores in this process's CPU affinity, at most its cgroup quota rounded up; at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _quota(cgroup)
    return max(1, min(cores, quota) if quota is not None else cores)


def _quota(cgroup: Path) -> int | None:
    try:
        limit, period = (cgroup / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:  # cgroup v1
            limit = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        quota, every = int(limit), int(period)
    except ValueError:  # "max"
        return None
    return math.ceil(quota / every) if quota > 0 and every > 0 else None
