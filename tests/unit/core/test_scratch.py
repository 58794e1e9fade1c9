"""Scratch folders: one per delivery, and a restarted worker removes its dead predecessors' leftovers (issue 17)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from admint.core.scratch import WorkdirClaim, scratch_dir

pytestmark = pytest.mark.unit


async def test_a_scratch_dir_is_private_and_removed_even_on_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        async with scratch_dir(tmp_path, "svc", "g1", "chunk-0-0") as first, scratch_dir(tmp_path, "svc", "g1",
                                                                                         "chunk-0-0") as second:
            assert first != second and first.parent == second.parent == tmp_path / "svc" / "g1"
            (first / "out.mp4").write_bytes(b"x")
            raise RuntimeError("encode failed")
    assert not any((tmp_path / "svc" / "g1").iterdir())


def test_a_restarted_worker_removes_only_its_dead_predecessors_scratch(tmp_path: Path) -> None:
    code = ("import sys, time; from admint.core.scratch import WorkdirClaim; "
            f"c = WorkdirClaim({str(tmp_path)!r}, 'chunker'); (c.path / 'half-encoded.mp4').write_bytes(b'x'); "
            "print(c.path, flush=True); time.sleep(60)")
    dead = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    alive = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        dead_path, alive_path = Path(dead.stdout.readline().strip()), Path(alive.stdout.readline().strip())  # type: ignore[union-attr]
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait(10)
        successor = WorkdirClaim(tmp_path, "chunker")
        removed = successor.sweep_dead()
        assert removed == [dead_path] and not dead_path.exists()
        assert alive_path.exists() and successor.path.exists()  # a live sibling and ourselves are kept
    finally:
        alive.kill()
        alive.wait(10)
