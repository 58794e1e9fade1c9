"""Vocabulary shared by several events: aspects, shot types, camera moves, sizes (stages: stages.py)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.stages import Stage

Aspect = Literal["9:16", "1:1", "16:9"]
Framework = Literal["AIDA", "PAS", "FAB"]
ShotType = Literal["extreme_close_up", "close_up", "medium", "wide", "detail", "overhead", "product_hero"]
CameraMovement = Literal[
    "static", "dolly_in", "dolly_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "orbit"
]
BeatDuration = Literal[5, 10, 15]
TransitionKind = Literal["crossfade", "cut"]

ASPECT_RATIOS: dict[str, tuple[int, int]] = {"9:16": (9, 16), "1:1": (1, 1), "16:9": (16, 9)}


class FrameSize(BaseModel):
    """Pixel size of frames and video; both sides even (yuv420p needs it)."""

    model_config = ConfigDict(frozen=True)

    width: int = Field(description="Width in pixels (even).", ge=16, le=4096, multiple_of=2)
    height: int = Field(description="Height in pixels (even).", ge=16, le=4096, multiple_of=2)


def frame_size(aspect: str, long_side: int = 1920) -> FrameSize:
    """The frame size of an aspect at a given long side: 9:16 at 1920 → 1080×1920."""
    w, h = ASPECT_RATIOS[aspect]
    short = round(long_side * min(w, h) / max(w, h) / 2) * 2
    if w == h:
        return FrameSize(width=long_side, height=long_side)
    return FrameSize(width=short, height=long_side) if h > w else FrameSize(width=long_side, height=short)


def platform_size(aspect: str, long_side: int = 1920) -> FrameSize:
    """The size placements expect for an aspect, at a scale given by the long side of its tall and wide frames:
    9:16 → 1080×1920, 16:9 → 1920×1080 and 1:1 → 1080×1080 at 1920 (a square takes the others' short side).
    Masters and renditions of one aspect have this one size."""
    if ASPECT_RATIOS[aspect] == (1, 1):
        side = frame_size("9:16", long_side).width
        return FrameSize(width=side, height=side)
    return frame_size(aspect, long_side)


def platform_long_side(size: FrameSize) -> int:
    """The long side `platform_size` was given for a frame of this size (a 1080×1080 square → 1920)."""
    if size.width != size.height:
        return max(size.width, size.height)
    guess = round(size.width * 16 / 9 / 2) * 2
    return next((g for g in (guess - 2, guess, guess + 2) if platform_size("1:1", g).width == size.width), guess)


class CostEntry(BaseModel):
    """One priced provider call; `key` makes recording it idempotent."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="Deterministic key, e.g. storyboard:3 or chunk:2-1; a re-run overwrites it.")
    stage: Stage = Field(description="Stage that spent it.")
    model: str = Field(description="Model registry name, e.g. offline-image or flux-schnell.")
    units: float = Field(
        default=1.0, description="Billable units (images, seconds of video, tokens/1000).", ge=0
    )
    usd: float = Field(description="Price in US dollars from the model registry.", ge=0)
