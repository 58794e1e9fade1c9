"""Render processes (core.cpu_pool): the work runs in another process at the tools' priority, failures arrive
whole, a killed process costs one retried call, and no process outlives its service."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from admint.core.cpu_pool import CpuPool, StopFlag
from admint.core.errors import PermanentError, TransientError
from admint.media.ffmpeg import MediaToolError

pytestmark = pytest.mark.unit


def whoami() -> tuple[int, int, bool]:
    """Pid, nice value and whether the preloaded module is already imported, as a pool process sees them."""
    return os.getpid(), os.nice(0), "admint.media.mp4_probe" in sys.modules


def fail_with_detail(reason: str) -> None:
    raise MediaToolError(reason, detail="ffmpeg: the tail of its stderr", retryable=True)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    pool = CpuPool(1, nice=3, preload=("admint.media.mp4_probe",))
    yield pool
    pool.close()


async def test_work_runs_in_a_preloaded_process_at_the_tools_priority(pool: CpuPool) -> None:
    pid, nice, preloaded = await pool.run(whoami)
    assert pid != os.getpid() and pid in pool.pids()
    assert nice == min(19, os.nice(0) + 3)
    assert preloaded  # imported when the process started, not by the call


async def test_a_failure_arrives_with_its_class_detail_and_retry_flag(pool: CpuPool) -> None:
    with pytest.raises(MediaToolError) as caught:
        await pool.run(fail_with_detail, "ffmpeg exited with 1 writing chunk.mp4")
    assert isinstance(caught.value, PermanentError)
    assert (caught.value.reason, caught.value.detail, caught.value.retryable) == (
        "ffmpeg exited with 1 writing chunk.mp4", "ffmpeg: the tail of its stderr", True)


def observed(work: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("admint_render_seconds_count", {"work": work, "outcome": outcome}) or 0.0


async def test_a_killed_process_fails_its_call_as_transient_and_the_next_call_runs(pool: CpuPool) -> None:
    died, ran = observed("die", "died"), observed("whoami", "ok")
    first, _, _ = await pool.run(whoami)
    with pytest.raises(TransientError, match="render process died during die"):
        await pool.run(die)
    second, _, _ = await pool.run(whoami)
    assert second != first and pool.pids() == [second]
    assert (observed("die", "died"), observed("whoami", "ok")) == (died + 1, ran + 2)  # on /metrics


def test_a_stop_flag_is_seen_across_processes_and_cleared_for_the_next_run(tmp_path: Path) -> None:
    flag = StopFlag(tmp_path / ".chunk.mp4.stop")
    assert not flag.is_set()
    subprocess.run([sys.executable, "-c", f"from admint.core.cpu_pool import StopFlag; "
                                          f"StopFlag({str(flag.path)!r}).set()"], check=True)
    assert flag.is_set()
    flag.clear()
    assert not flag.is_set()


def test_the_processes_end_within_seconds_of_their_service_being_killed() -> None:
    code = ("import time; from admint.core.cpu_pool import CpuPool\n"
            "pool = CpuPool(2); pool.warm()\n"
            "while len(pool.pids()) < 2: time.sleep(0.05)\n"
            "print(*pool.pids(), flush=True); time.sleep(60)\n")
    service = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in service.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(pids) == 2
        os.kill(service.pid, signal.SIGKILL)
        service.wait(10)
        deadline = time.monotonic() + 10
        while alive := [p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)]:
            assert time.monotonic() < deadline, f"render processes {alive} outlived their service"
            time.sleep(0.1)
    finally:
        service.kill()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return False
