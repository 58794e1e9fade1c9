"""Raw BGR frames piped into one ffmpeg run (blocking: run it in a thread). No NumPy here: a frame is any
buffer of width × height × 3 bytes, so the encode side of the chunker needs no [frames] extra.

stderr goes to a temporary file, so a chatty ffmpeg can never block the pipe.
"""

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from admint.media.ffmpeg import MediaToolError, ffmpeg_binary


def raw_input_args(width: int, height: int, fps: int) -> list[str]:
    """ffmpeg input arguments of BGR frames piped on stdin."""
    return ["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "pipe:0"]


class FramePipe:
    """`ffmpeg <raw input on stdin> <output_args>`; write() frames, then close() (raises when ffmpeg failed)."""

    def __init__(self, what: Path, width: int, height: int, fps: int, output_args: Sequence[str],
                 timeout_s: float = 600.0) -> None:
        self.path = Path(what)
        """The main output (named in errors)."""
        self.width, self.height = width, height
        self.frame_bytes = width * height * 3
        self.timeout_s = timeout_s
        self.frames = 0
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [ffmpeg_binary(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
             *raw_input_args(width, height, fps), *output_args],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr,
        )

    def write_bytes(self, frame: Any) -> None:
        """One frame: a C-contiguous buffer of exactly width × height × 3 bytes."""
        view = memoryview(frame)
        if view.nbytes != self.frame_bytes:
            raise ValueError(f"a frame of {view.nbytes} bytes is not {self.width}×{self.height}×3")
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(view)
        except BrokenPipeError:
            self._proc.wait()
            raise MediaToolError("ffmpeg stopped reading frames", detail=self._error_tail()) from None
        self.frames += 1

    def close(self) -> None:
        """Finish the file; raises MediaToolError when ffmpeg failed."""
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            code = self._proc.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            raise MediaToolError(f"ffmpeg did not finish writing {self.path.name}") from None
        finally:
            detail = self._error_tail()
            self._stderr.close()
        if code != 0:
            raise MediaToolError(f"ffmpeg exited with {code} writing {self.path.name}", detail=detail)

    def abort(self) -> None:
        self._proc.kill()
        self._proc.wait()
        self._stderr.close()

    def _error_tail(self) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode(errors="replace")[-2000:]
        except ValueError:
            return ""

    def __enter__(self) -> "FramePipe":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
