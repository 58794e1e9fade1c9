"""The beat plan: what the planner decides and every later stage follows."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admint.contracts.common import BeatDuration, CameraMovement, Framework, ShotType


class Beat(BaseModel):
    """One scene of the ad: a shot with its own duration, motion, prompt and caption."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="Position in the ad, from 0.", ge=0)
    beat_id: str = Field(description="Id of the beat in the beat library, e.g. hero_reveal.")
    role: str = Field(
        description="Narrative role from the framework, e.g. attention, problem, benefit, action."
    )
    start_s: float = Field(description="Start time in the finished ad, seconds.", ge=0)
    duration_s: BeatDuration = Field(description="Length in the finished ad: 5, 10 or 15 seconds.")
    shot_type: ShotType = Field(description="Framing of the shot.")
    camera_movement: CameraMovement = Field(description="Camera move during the beat.")
    action: str = Field(description="What happens on screen, one sentence.")
    prompt: str = Field(description="Image/video generation prompt for this beat.", min_length=1)
    caption: str = Field(default="", description="On-screen caption (empty for none).", max_length=120)
    energy: float = Field(
        default=0.5, description="Energy level 0–1 (pace of motion, music intensity).", ge=0, le=1
    )


class Style(BaseModel):
    """Look of the ad."""

    model_config = ConfigDict(frozen=True)

    palette: list[str] = Field(description="Colours as #rrggbb, dominant first.", min_length=2, max_length=6)
    keywords: list[str] = Field(
        default_factory=list, description="Visual style keywords, e.g. calm, premium."
    )
    mood: str = Field(default="neutral", description="Overall mood word, e.g. calm, energetic, playful.")

    @model_validator(mode="after")
    def _hex_colours(self) -> "Style":
        for colour in self.palette:
            if (
                len(colour) != 7
                or colour[0] != "#"
                or any(c not in "0123456789abcdefABCDEF" for c in colour[1:])
            ):
                raise ValueError(f"palette colour {colour!r} is not #rrggbb")
        return self


class MusicSpec(BaseModel):
    """What the music bed should feel like."""

    model_config = ConfigDict(frozen=True)

    mood: str = Field(description="Mood, e.g. calm, uplifting, energetic, dramatic.")
    tempo_bpm: int = Field(description="Tempo in beats per minute.", ge=50, le=180)


class Plan(BaseModel):
    """A complete beat plan whose beats tile the requested duration exactly."""

    model_config = ConfigDict(frozen=True)

    archetype: str = Field(description="Archetype id, e.g. luxury_showcase, problem_solution.")
    framework: Framework = Field(description="Copy framework that shaped roles and captions.")
    duration_s: int = Field(description="Total ad duration in seconds (sum of beats).", ge=15, le=60)
    beats: list[Beat] = Field(description="Beats in order; starts are contiguous from 0.", min_length=1)
    style: Style = Field(description="Palette and style keywords.")
    music: MusicSpec = Field(description="Music bed mood and tempo.")
    product: str = Field(default="", description="Product name or noun phrase extracted from the brief.")
    audience: str = Field(default="", description="Audience extracted from the brief, if any.")
    call_to_action: str = Field(
        description="Closing call to action shown on the last beat.", min_length=1, max_length=60
    )
    planner_model: str = Field(description="Which planner produced it, e.g. offline-planner or gpt-4o-mini.")
    fallback_reason: str | None = Field(
        default=None, description="Why the offline planner stood in, if it did."
    )

    @model_validator(mode="after")
    def _beats_tile_duration(self) -> "Plan":
        start = 0.0
        for i, beat in enumerate(self.beats):
            if beat.index != i:
                raise ValueError(f"beat {i} has index {beat.index}")
            if abs(beat.start_s - start) > 1e-6:
                raise ValueError(f"beat {i} starts at {beat.start_s}s, expected {start}s")
            start += beat.duration_s
        if abs(start - self.duration_s) > 1e-6:
            raise ValueError(f"beats sum to {start}s, plan says {self.duration_s}s")
        return self
