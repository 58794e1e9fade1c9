"""The media tools a worker starts run ToolPriority.nice levels below it, whichever way they are started (an
async run for a report or an encode, a frame pipe fed from a thread); at 0 they run beside it, as before."""

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from admint.media.ffmpeg import ToolPriority, run_tool
from admint.media.pipe import FramePipe

pytestmark = pytest.mark.unit


@pytest.fixture
def restore() -> Iterator[None]:
    before = ToolPriority.nice
    yield
    ToolPriority.set(before)


def nice_of_a_tool() -> int:
    """The nice value a tool started by run_tool sees for itself (a shell reading its own /proc stat)."""
    out = asyncio.run(run_tool(["sh", "-c", "sleep 0.05; cut -d' ' -f19 /proc/self/stat"]))
    return int(out.split()[-1])


def test_run_tool_starts_tools_below_the_worker(restore: None) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    ToolPriority.set(0)
    assert nice_of_a_tool() == own
    ToolPriority.set(4)
    assert nice_of_a_tool() == min(19, own + 4)
    ToolPriority.set(40)  # clamped: a nice value goes no further than 19
    assert ToolPriority.nice == 19 and nice_of_a_tool() == 19


def test_a_frame_pipe_encodes_below_the_worker(restore: None, tmp_path: Path) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    ToolPriority.set(6)
    out = tmp_path / "one.png"
    pipe = FramePipe(out, 16, 16, 30, ["-frames:v", "1", "-update", "1", str(out)])
    assert os.getpriority(os.PRIO_PROCESS, pipe._proc.pid) == min(19, own + 6)
    pipe.write_bytes(bytes(16 * 16 * 3))
    pipe.close()
    assert out.stat().st_size > 0  # the lowered encode still did its work


def test_in_process_media_work_runs_its_thread_below_the_worker(restore: None) -> None:
    """A decode through FFmpeg's libraries (the scorer's) runs at the level its ffmpeg process ran, twice over
    the same level, and leaves the worker's own thread where it was."""
    own = os.getpriority(os.PRIO_PROCESS, 0)
    ToolPriority.set(5)
    seen: list[int] = []

    def work() -> None:
        ToolPriority.lower_this_thread()
        ToolPriority.lower_this_thread()  # relative to the process, not to the thread's own level
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [min(19, own + 5)]
    assert os.getpriority(os.PRIO_PROCESS, 0) == own
