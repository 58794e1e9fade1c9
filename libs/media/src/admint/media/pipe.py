"""Raw frames piped into one ffmpeg run (blocking: run it in a thread). No NumPy here: a frame is any buffer
of the raw format's size — BGR (width × height × 3 bytes) or planar YUV 4:2:0 (I420: width × height × 3/2
bytes, BT.709 limited range, the house format's own pixels) — so the encode side of the chunker needs no
[frames] extra.

stderr goes to a temporary file, so a chatty ffmpeg can never block the pipe.
"""

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from admint.media.ffmpeg import MediaToolError, ToolPriority, ffmpeg_binary

RAW_FORMATS = ("bgr24", "yuv420p")
"""Raw frame formats a pipe carries: BGR, or the house format's planar YUV 4:2:0 (BT.709 limited range)."""


def frame_bytes(width: int, height: int, pix_fmt: str = "bgr24") -> int:
    """Bytes of one raw frame."""
    if pix_fmt == "bgr24":
        return width * height * 3
    if pix_fmt == "yuv420p":
        if width % 2 or height % 2:
            raise ValueError(f"{width}x{height}: yuv420p needs even sides")
        return width * height * 3 // 2
    raise ValueError(f"raw frames are one of {RAW_FORMATS}, not {pix_fmt}")


def raw_input_args(width: int, height: int, fps: int, pix_fmt: str = "bgr24") -> list[str]:
    """ffmpeg input arguments of raw frames piped on stdin (YUV is tagged BT.709 limited range)."""
    frame_bytes(width, height, pix_fmt)
    tags = ["-colorspace", "bt709", "-color_range", "tv"] if pix_fmt == "yuv420p" else []
    return ["-f", "rawvideo", "-pix_fmt", pix_fmt, *tags, "-s", f"{width}x{height}", "-r", str(fps),
            "-i", "pipe:0"]


class FramePipe:
    """`ffmpeg <raw input on stdin> <output_args>`; write() frames, then close() (raises when ffmpeg failed)."""

    def __init__(self, what: Path, width: int, height: int, fps: int, output_args: Sequence[str],
                 timeout_s: float = 600.0, pix_fmt: str = "bgr24") -> None:
        self.path = Path(what)
        """The main output (named in errors)."""
        self.width, self.height, self.pix_fmt = width, height, pix_fmt
        self.frame_bytes = frame_bytes(width, height, pix_fmt)
        self.timeout_s = timeout_s
        self.frames = 0
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [ffmpeg_binary(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
             *raw_input_args(width, height, fps, pix_fmt), *output_args],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr,
        )
        ToolPriority.lower(self._proc.pid)

    def write_bytes(self, frame: Any) -> None:
        """One frame: a C-contiguous buffer of exactly frame_bytes (width × height × 3 for BGR)."""
        view = memoryview(frame)
        if view.nbytes != self.frame_bytes:
            raise ValueError(f"a frame of {view.nbytes} bytes is not one {self.width}×{self.height} "
                             f"{self.pix_fmt} frame")
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
