"""Stitch event: the master video."""

from typing import Literal

from pydantic import Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationSpec


class StitchCompleted(Event):
    """The master MP4 (transitions, music, captions) is stored."""

    type: Literal["stitch.completed.v1"] = Field(
        default="stitch.completed.v1", description="Event type and version."
    )
    spec: GenerationSpec = Field(description="The request (renditions to export).")
    master: ArtifactRef = Field(description="The master MP4.")
    duration_s: float = Field(description="Master duration (ffprobe), seconds.", gt=0)
    has_audio: bool = Field(description="Whether a music bed is muxed in.")
    music_error: str | None = Field(default=None, description="Why there is no music, when there is none.")
    music_model: str | None = Field(default=None, description="Music model used.")
