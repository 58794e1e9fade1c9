"""Scratch folders for media work: one of its own per delivery, removed afterwards.

A redelivery may overlap a slow first attempt on the same host (ack wait passed while it was still encoding), so
two deliveries of one message must never share files; the random suffix sees to that.
"""

import asyncio
import contextlib
import shutil
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
