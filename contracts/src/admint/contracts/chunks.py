"""Chunk events: image-to-video work items, parallel across beats, sequential inside a beat."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import CameraMovement
from admint.contracts.envelope import Event
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan


class ChunkRequested(Event):
    """Work item: animate one chunk of one beat from its init frame."""

    type: Literal["chunk.requested.v1"] = Field(
        default="chunk.requested.v1", description="Event type and version."
    )
    beat_index: int = Field(description="Beat index.", ge=0)
    chunk_index: int = Field(description="Chunk index inside the beat, from 0.", ge=0)
    chunk_count: int = Field(description="Chunks this beat needs.", ge=1)
    init_frame: ArtifactRef = Field(
        description="Storyboard frame (first chunk) or previous chunk's last frame."
    )
    prompt: str = Field(description="Video prompt.")
    camera_movement: CameraMovement = Field(description="Camera move of the beat.")
    energy: float = Field(default=0.5, description="Motion energy 0–1.", ge=0, le=1)
    requested_duration_s: float = Field(
        description="Length asked of the video model (its native chunk).", gt=0
    )
    needed_duration_s: float = Field(
        description="Length this chunk contributes after the cut (beat length + transition overlap, split).",
        gt=0,
    )
    beat_offset_s: float = Field(default=0.0, description="Where this chunk starts inside its beat.", ge=0)
    beat_length_s: float = Field(description="Rendered beat length incl. transition overlap.", gt=0)
    caption: str = Field(default="", description="Caption burnt in during this chunk.")
    call_to_action: str = Field(default="", description="CTA card text (last beat only).")
    spec: GenerationSpec = Field(description="Size, fps, seed.")
    take: int = Field(
        default=0, description="Render of this chunk: 0 first, then one more per re-render below the request's "
                               "quality_threshold (each with a new seed).", ge=0,
    )

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.beat_index, self.chunk_index, *((self.take,) if self.take else ()))


class CaptionShown(BaseModel):
    """A caption burnt into a chunk, and when it is fully shown (chunk time): what the scorer reads it by."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The caption's text, as burnt in.", min_length=1)
    start_s: float = Field(description="Chunk time from which it is fully shown, seconds.", ge=0)
    end_s: float = Field(description="Chunk time until which it is fully shown, seconds.", gt=0)


class ChunkCompleted(Event):
    """One normalised chunk is stored with its last frame."""

    type: Literal["chunk.completed.v1"] = Field(
        default="chunk.completed.v1", description="Event type and version."
    )
    beat_index: int = Field(description="Beat index.", ge=0)
    chunk_index: int = Field(description="Chunk index inside the beat.", ge=0)
    chunk_count: int = Field(description="Chunks this beat needs.", ge=1)
    video: ArtifactRef = Field(description="Normalised chunk MP4 (house format).")
    last_frame: ArtifactRef = Field(description="Last frame as PNG (init of the next chunk).")
    requested_duration_s: float = Field(description="Length asked of the model.", gt=0)
    actual_duration_s: float = Field(description="Length of the stored, cut chunk.", gt=0)
    model: str = Field(description="Video model that made it.")
    cost_usd: float = Field(default=0.0, description="Price of this chunk.", ge=0)
    take: int = Field(default=0, description="Render of this chunk (0 first; see chunk.requested).", ge=0)
    caption: CaptionShown | None = Field(default=None, description="The caption burnt in, if any.")

    def dedup_parts(self) -> tuple[object, ...]:
        return (self.beat_index, self.chunk_index, *((self.take,) if self.take else ()))


class ChunkRef(BaseModel):
    """One stored chunk, in the fan-in summary."""

    model_config = ConfigDict(frozen=True)

    beat_index: int = Field(description="Beat index.", ge=0)
    chunk_index: int = Field(description="Chunk index inside the beat.", ge=0)
    video: ArtifactRef = Field(description="Normalised chunk MP4.")
    duration_s: float = Field(description="Its duration, seconds.", gt=0)


class ChunksCompleted(Event):
    """Every chunk of every beat is stored."""

    type: Literal["chunks.completed.v1"] = Field(
        default="chunks.completed.v1", description="Event type and version."
    )
    spec: GenerationSpec = Field(description="The request.")
    plan: Plan = Field(description="The plan.")
    chunks: list[ChunkRef] = Field(description="All chunks in (beat, chunk) order.", min_length=1)
