"""The house video format: one encoder-settings constant shared by chunker, stitcher and exporter.

Every chunk is encoded with exactly these settings, so the stitcher can stream-copy between transition windows
and the concat demuxer sees identical streams (DESIGN.md §5a).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class HouseFormat:
    codec: str = "libx264"
    profile: str = "high"
    pix_fmt: str = "yuv420p"
    fps: int = 30
    gop: int = 15
    """Closed GOP with a keyframe every 15 frames (0.5 s): transition windows cut on keyframes."""
    preset: str = "veryfast"
    crf: int = 20
    audio_codec: str = "aac"
    audio_rate: int = 48000
    audio_bitrate: str = "160k"
    colour_matrix: str = "bt709"

    def video_args(self) -> list[str]:
        """ffmpeg output args for a house-format video stream (no audio)."""
        return [
            "-c:v", self.codec,
            "-profile:v", self.profile,
            "-pix_fmt", self.pix_fmt,
            "-preset", self.preset,
            "-crf", str(self.crf),
            "-r", str(self.fps),
            "-g", str(self.gop),
            "-keyint_min", str(self.gop),
            "-sc_threshold", "0",
            "-flags", "+cgop",
            "-bf", "2",
            "-video_track_timescale", str(self.fps * 512),
            *self.colour_args(),
        ]

    def colour_args(self) -> list[str]:
        """Tag every house stream BT.709 limited range (what the chunker converts RGB frames with), so players
        and the concat of copied and re-encoded segments agree on colours."""
        return [
            "-colorspace", self.colour_matrix,
            "-color_primaries", self.colour_matrix,
            "-color_trc", self.colour_matrix,
            "-color_range", "tv",
        ]

    def audio_args(self) -> list[str]:
        return ["-c:a", self.audio_codec, "-ar", str(self.audio_rate), "-b:a", self.audio_bitrate]


HOUSE = HouseFormat()
