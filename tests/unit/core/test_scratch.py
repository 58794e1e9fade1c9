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


def test_a_sibling_claiming_its_folder_is_never_swept(tmp_path: Path) -> None:
    """A claim in progress (hidden staging folder, lock not yet visible under the final name) is left alone while
    it is fresh, and removed once it is older than a claim can take (its process died while claiming)."""
    sweeper = WorkdirClaim(tmp_path, "chunker")
    staging = tmp_path / "chunker" / ".4242-abcdef12"
    staging.mkdir()
    assert sweeper.sweep_dead() == [] and staging.exists()
    old = staging.stat().st_mtime - 3600
    os.utime(staging, (old, old))
    assert sweeper.sweep_dead() == [staging] and not staging.exists()


def test_claims_made_while_siblings_sweep_all_survive(tmp_path: Path) -> None:
    """Many replicas starting together, each sweeping as soon as it has claimed: every live claim keeps its folder
    and lock (a claim used to be visible before its lock existed, and a sibling's sweep removed it)."""
    code = ("from admint.core.scratch import WorkdirClaim\n"
            "claims = []\n"
            "for _ in range(40):\n"
            f"    c = WorkdirClaim({str(tmp_path)!r}, 'chunker'); c.sweep_dead(); claims.append(c)\n"
            "assert all((c.path / '.owner.lock').exists() for c in claims)\n"
            "print('ok', flush=True)")
    racers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for _ in range(4)]
    outcomes = [racer.communicate(timeout=60) for racer in racers]
    assert all(out.strip() == "ok" for out, _ in outcomes), [err for _, err in outcomes]
