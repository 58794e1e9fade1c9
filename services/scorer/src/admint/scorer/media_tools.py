"""The scorer's only door into the shared runtime: ffmpeg runners, ffprobe, caption layout.

Kept in one module so that moving the media helpers (admint.media) means re-pointing
these imports and nothing else.
"""

from admint.media.audio import Loudness, measure_ebur128, parse_ebur128_summary
from admint.media.captions import PlacedImage, SafeZone, render_caption, safe_zone
from admint.media.ffmpeg import MediaToolError, ffmpeg, ffmpeg_report
from admint.media.probe import MediaInfo, probe

__all__ = [
    "Loudness",
    "MediaInfo",
    "MediaToolError",
    "PlacedImage",
    "SafeZone",
    "ffmpeg",
    "ffmpeg_report",
    "measure_ebur128",
    "parse_ebur128_summary",
    "probe",
    "render_caption",
    "safe_zone",
]
