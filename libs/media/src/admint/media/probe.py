"""Probe a media file into a small typed summary: the MP4 reader for the pipeline's own files, else ffprobe."""

import asyncio
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from admint.media.ffmpeg import ffprobe_binary, run_tool
from admint.media.media_info import MediaInfo
from admint.media.mp4 import scan
from admint.media.mp4_probe import read_media_info

MP4_SUFFIXES = (".mp4", ".m4a", ".mov")


async def probe(path: Path) -> MediaInfo:
    """Read duration, size, fps, codec, profile, pixel format, frame count and audio of a media file: from the
    MP4's own boxes when it is one the pipeline writes (no process to start), from ffprobe otherwise."""
    path = Path(path)
    found = await asyncio.to_thread(read_media_info, path) if path.suffix.lower() in MP4_SUFFIXES else None
    return found if found is not None else await ffprobe_info(path)


async def ffprobe_info(path: Path) -> MediaInfo:
    """probe(), always by ffprobe."""
    out = await run_tool(
        [ffprobe_binary(), "-v", "error", "-count_packets", "-show_streams", "-show_format", "-of", "json",
         str(path)],
        timeout_s=120,
    )
    data = json.loads(out)
    streams = data.get("streams", [])
    video: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    rate = video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1"
    fps = float(Fraction(rate)) if rate not in ("0/0", "") else 0.0
    return MediaInfo(
        duration_s=float(data.get("format", {}).get("duration", 0.0)),
        width=int(video.get("width", 0)),
        height=int(video.get("height", 0)),
        fps=fps,
        video_codec=str(video.get("codec_name", "")),
        profile=str(video.get("profile", "")),
        pix_fmt=str(video.get("pix_fmt", "")),
        frames=int(video.get("nb_read_packets", 0) or 0),
        has_audio=audio is not None,
        audio_codec=str(audio.get("codec_name", "")) if audio else "",
        audio_rate=int(audio.get("sample_rate", 0)) if audio else 0,
        faststart=scan(path).faststart if path.suffix.lower() in MP4_SUFFIXES else False,
        color_space=str(video.get("color_space", "")),
        color_range=str(video.get("color_range", "")),
    )
