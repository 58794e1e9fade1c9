"""Scratch folders for media work: one of its own per delivery, removed afterwards.

A redelivery may overlap a slow first attempt on the same host (ack wait passed while it was still encoding), so
two deliveries of one message must never share files; the random suffix sees to that. A process that dies in the
middle leaves its folders behind; `WorkdirClaim` lets its successor find and remove them.
"""

import asyncio
import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path


@contextlib.asynccontextmanager
async def scratch_dir(root: str | Path, *parts: str) -> AsyncIterator[Path]:
    """`root/<parts…>-<random>`, created for the block and removed after it (also on error or cancel)."""
    *parents, leaf = parts or ("work",)
    path = Path(root).joinpath(*parents, f"{leaf}-{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(path.mkdir, parents=True, exist_ok=True)
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, True)


INSTANCE_LOCK = ".owner.lock"
STAGING_GRACE_S = 60.0  # a hidden staging folder older than this belongs to a process that died while claiming


class WorkdirClaim:
    """This process's own folder under the service's scratch root, held by an exclusive file lock for as long as
    the process lives. The kernel drops the lock when the process dies (even by kill -9), which is how a
    restarted worker tells its dead predecessors' leftovers from a live sibling's work (several replicas may
    share one host's /tmp).

    The folder is built under a hidden name and only renamed into place once its lock is held: a sibling that
    sweeps at the same moment must never see a visible folder without a held lock (it would take it for dead and
    remove it under us; seen when three replicas started together)."""

    def __init__(self, root: str | Path, service: str) -> None:
        self.base = Path(root) / service
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = self.base / name
        staging = self.base / f".{name}"
        staging.mkdir(parents=True)
        self._lock = (staging / INSTANCE_LOCK).open("w")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the lock lives on the inode: it survives the rename
        staging.rename(self.path)

    def sweep_dead(self) -> list[Path]:
        """Remove the folders of this service's processes that are gone; returns what was removed."""
        removed = []
        for sibling in sorted(p for p in self.base.iterdir() if p.is_dir() and p != self.path):
            if sibling.name.startswith(".") and not _stale(sibling):
                continue  # a sibling still claiming its folder
            lock = sibling / INSTANCE_LOCK
            try:
                if lock.exists() and not _unlocked(lock):
                    continue  # a live process holds it
            except FileNotFoundError:
                continue  # another sibling's sweep removed it first
            shutil.rmtree(sibling, ignore_errors=True)
            removed.append(sibling)
        return removed


def _stale(path: Path) -> bool:
    """True when the folder has not changed for longer than a claim can take."""
    try:
        return time.time() - path.stat().st_mtime > STAGING_GRACE_S
    except FileNotFoundError:
        return False


def _unlocked(path: Path) -> bool:
    """True when nobody holds the lock (its owner is dead)."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True
