"""The scorer's only door into the shared runtime: ffmpeg runners, ffprobe, caption layout.

Kept in one module so that moving the media helpers (admint.media) means re-pointing
these imports and nothing else.
"""

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from admint.media.audio import Loudness, measure_ebur128, parse_ebur128_summary
from admint.media.captions import PlacedImage, SafeZone, render_caption, safe_zone
from admint.media.ffmpeg import MediaToolError, ToolPriority, ffmpeg, ffmpeg_report
from admint.media.probe import MediaInfo, probe

P = ParamSpec("P")
R = TypeVar("R")


async def in_tool_thread(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run CPU-bound media work (a decode, the measurements) in a worker thread at the media tools' nice level,
    as the ffmpeg process it replaces ran: below this process's event loop."""

    def lowered() -> R:
        ToolPriority.lower_this_thread()
        return fn(*args, **kwargs)

    return await asyncio.to_thread(lowered)

__all__ = [
    "Loudness",
    "MediaInfo",
    "MediaToolError",
    "PlacedImage",
    "SafeZone",
    "ffmpeg",
    "ffmpeg_report",
    "in_tool_thread",
    "measure_ebur128",
    "parse_ebur128_summary",
    "probe",
    "render_caption",
    "safe_zone",
]
