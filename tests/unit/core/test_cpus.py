"""Cores a process may use: its affinity, capped by the cgroup CPU quota a Kubernetes limit sets."""

import os
from pathlib import Path

import pytest

from admint.core.cpus import usable_cpus

pytestmark = pytest.mark.unit
AFFINITY = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("cpu_max", "expected"), [
    ("100000 100000\n", 1),  # limits.cpu: 1
    ("150000 100000\n", min(AFFINITY, 2)),  # 1.5 CPUs: two processes may each use part of a core
    ("max 100000\n", AFFINITY),  # no limit
    ("6400000 100000\n", AFFINITY),  # a quota above what the process may run on
    ("garbage", AFFINITY),
])
def test_a_cgroup_v2_quota_caps_the_cores_the_process_may_run_on(tmp_path: Path, cpu_max: str,
                                                                  expected: int) -> None:
    (tmp_path / "cpu.max").write_text(cpu_max)
    assert usable_cpus(tmp_path) == expected


@pytest.mark.parametrize(("quota", "expected"), [("100000", 1), ("-1", AFFINITY)])
def test_a_cgroup_v1_quota_counts_too(tmp_path: Path, quota: str, expected: int) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cpus(tmp_path) == expected


def test_without_a_cgroup_the_affinity_counts(tmp_path: Path) -> None:
    assert usable_cpus(tmp_path / "absent") == AFFINITY
