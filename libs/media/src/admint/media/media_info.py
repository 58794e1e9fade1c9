"""What a probe tells about a media file: the one summary ffprobe and the MP4 reader both answer with."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float
    width: int
    height: int
    fps: float
    video_codec: str
    profile: str
    pix_fmt: str
    frames: int
    has_audio: bool
    audio_codec: str
    audio_rate: int
    faststart: bool
    color_space: str = ""
    """The video stream's colour matrix tag (bt709, …; empty when untagged)."""
    color_range: str = ""
    """tv (limited) or pc (full); empty when untagged."""
