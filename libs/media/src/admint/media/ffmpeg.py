"""Run ffmpeg/ffprobe as async subprocesses with errors that say what went wrong."""

import asyncio
import contextlib
import os
import shutil
import threading
from pathlib import Path

from opentelemetry import trace

from admint.core.errors import PermanentError

_tracer = trace.get_tracer("admint.media")


class MediaToolError(PermanentError):
    """ffmpeg/ffprobe failed; the tail of its stderr is in `detail`."""


class ToolPriority:
    """How many nice levels below this process the media tools it starts run (the service sets it from its
    settings when it builds its ports). A worker's own thread only decodes events and writes documents; when it
    shares the CPU with its encodes at the same priority, every event it is handed waits for a time slice.
    Below it, the tools still take all the CPU the services leave idle."""

    nice = 0

    @classmethod
    def set(cls, nice: int) -> None:
        cls.nice = max(0, min(19, nice))

    @classmethod
    def lower_this_thread(cls) -> None:
        """Run the calling thread (media work done in-process, such as a decode through FFmpeg's libraries) at the
        tools' level: this process's nice value plus `nice`. Idempotent (relative to the process, not the thread);
        Linux sets a thread's nice value on its own."""
        if cls.nice:
            target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + cls.nice)
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), target)

    @classmethod
    def lower(cls, pid: int) -> None:
        """Apply to a tool just started (before it has started threads: its dynamic loading alone takes longer
        than this call), relative to this process's own nice value."""
        if cls.nice:
            with contextlib.suppress(OSError):  # it already exited
                os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + cls.nice))


def ffmpeg_binary() -> str:
    """ffmpeg from PATH: Debian's, which ships ffprobe beside it (`make setup` installs it)."""
    found = shutil.which("ffmpeg")
    if not found:
        raise MediaToolError("ffmpeg is not installed (run `make setup`, which installs Debian's ffmpeg)")
    return found


def ffprobe_binary() -> str:
    found = shutil.which("ffprobe")
    if not found:
        raise MediaToolError("ffprobe is not installed (run `make setup`, which installs Debian's ffmpeg)")
    return found


async def run_tool(args: list[str], *, cwd: Path | None = None, timeout_s: float = 600.0) -> bytes:
    """Run a media tool; return stdout, raise MediaToolError with the stderr tail on failure or timeout."""
    out, _ = await run_tool_with_log(args, cwd=cwd, timeout_s=timeout_s)
    return out


async def run_tool_with_log(
    args: list[str], *, cwd: Path | None = None, timeout_s: float = 600.0
) -> tuple[bytes, bytes]:
    """Like run_tool, but also return stderr (where ffmpeg's filters print their reports). Each run is a span
    (`ffmpeg` / `ffprobe`, with its arguments) under the handler's when tracing is on; a no-op span otherwise."""
    tool = Path(args[0]).name
    with _tracer.start_as_current_span(tool, attributes={"process.executable.name": tool,
                                                         "process.command_args": [str(a) for a in args[1:]][:64]}):
        return await _run(args, cwd, timeout_s)


async def _run(args: list[str], cwd: Path | None, timeout_s: float) -> tuple[bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    ToolPriority.lower(proc.pid)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout_s)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise MediaToolError(f"{Path(args[0]).name} timed out after {timeout_s:.0f}s") from exc
    except asyncio.CancelledError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise MediaToolError(f"{Path(args[0]).name} exited with {proc.returncode}", detail=tail)
    return out, err


async def ffmpeg(*args: str, cwd: Path | None = None, timeout_s: float = 600.0) -> bytes:
    """ffmpeg -hide_banner -nostdin -y -loglevel error <args>."""
    return await run_tool(
        [ffmpeg_binary(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args],
        cwd=cwd,
        timeout_s=timeout_s,
    )


async def ffmpeg_report(*args: str, timeout_s: float = 600.0) -> str:
    """ffmpeg at log level info without progress lines; returns stderr, where filters such as ebur128 print
    their summary (cheaper than asking them for per-frame metadata)."""
    _, err = await run_tool_with_log(
        [ffmpeg_binary(), "-hide_banner", "-nostdin", "-nostats", "-y", "-loglevel", "info", *args],
        timeout_s=timeout_s,
    )
    return err.decode(errors="replace")
