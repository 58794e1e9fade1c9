"""Export event: renditions, poster and presigned links."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import Aspect, FrameSize
from admint.contracts.envelope import Event


class SpecCheck(BaseModel):
    """ffprobe verdict on one rendition."""

    model_config = ConfigDict(frozen=True)

    passed: bool = Field(description="Whether every check passed.")
    problems: list[str] = Field(default_factory=list, description="What failed, human-readable.")
    codec: str = Field(default="", description="Video codec, e.g. h264.")
    profile: str = Field(default="", description="Codec profile, e.g. High.")
    pix_fmt: str = Field(default="", description="Pixel format, e.g. yuv420p.")
    width: int = Field(default=0, description="Width in pixels.", ge=0)
    height: int = Field(default=0, description="Height in pixels.", ge=0)
    fps: float = Field(default=0.0, description="Frames per second.", ge=0)
    duration_s: float = Field(default=0.0, description="Duration, seconds.", ge=0)
    faststart: bool = Field(default=False, description="moov atom before mdat.")
    has_audio: bool = Field(default=False, description="Audio stream present.")


class Rendition(BaseModel):
    """One exported MP4 with its download link."""

    model_config = ConfigDict(frozen=True)

    aspect: Aspect = Field(description="Aspect.")
    size: FrameSize = Field(description="Pixel size.")
    method: Literal["master", "crop", "pad"] = Field(description="How it was derived from the master.")
    video: ArtifactRef = Field(description="The stored MP4.")
    url: str = Field(description="Presigned download URL.")
    url_expires_at: datetime = Field(description="When the URL stops working.")
    spec_check: SpecCheck = Field(description="ffprobe verdict.")


class ExportCompleted(Event):
    """Renditions, poster and thumbnail are stored and linked."""

    type: Literal["export.completed.v1"] = Field(
        default="export.completed.v1", description="Event type and version."
    )
    renditions: list[Rendition] = Field(
        description="Exported renditions, the master's aspect first.", min_length=1
    )
    poster: ArtifactRef = Field(description="Poster JPEG (full size).")
    thumbnail: ArtifactRef = Field(description="Small thumbnail JPEG.")
