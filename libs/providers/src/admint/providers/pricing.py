"""What a generation will cost, from the model registry, before it runs (and, once planned, exactly).

The priced calls of a generation are: one planner call, one image per beat, the video chunks (each beat rendered
as ceil(length / native chunk) chunks, the beat lengthened by the crossfade that eats into its tail — the same
count as the chunker's planning), and one music track. Only the number of beats is unknown before planning: the
estimate assumes the planner's typical pacing (about six seconds a beat, tiled evenly in five-second units) and
gives the range over every beat count the planner may choose. Once the plan exists, `estimate(…, beats=…)` is
the cost the pipeline will record (tests hold both to the recorded costs).
"""

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.stages import PIPELINE
from admint.providers.billing import billed_seconds
from admint.providers.registry import ModelInfo, ModelRegistry
from admint.providers.settings import ProviderSettings

UNIT_S = 5
MAX_UNITS = 3
MIN_BEATS = 3
TYPICAL_BEAT_S = 6.0
"""The planner's beats are 5, 10 or 15 s, at least three, and its archetypes pace about six seconds a beat
(measured over 8 briefs × 8 seeds × 3 creativities: a mean of 5.96 s at 30 s, 5.95 s at 45 s, 6.0 s at 60 s)."""
ENCODE_S_PER_VIDEO_S = 1.0
"""Stitch + export time per second of ad: a rough allowance, not a measurement (wall time only, like the
registry's `latency_s`, which are typical figures rather than numbers measured here)."""

KIND_SERVICE = {"planner": "planner", "image": "storyboard", "video": "chunker", "music": "stitcher"}
"""Which service calls which kind of model; its stage (from the stage table) is the one that spends."""


def stage_of_kind(kind: str) -> str:
    return PIPELINE.stages_of(KIND_SERVICE[kind])[0].name


@dataclass(frozen=True)
class ModelChoice:
    """The models a deployment runs, by registry name (what the services' settings choose)."""

    planner: str
    image: str
    image_with_product: str
    video: str
    music: str
    chunk_duration_s: float
    """The video model's native chunk length as the chunker uses it."""


def model_choice(settings: ProviderSettings, registry: ModelRegistry, *, planner_provider: str = "offline",
                 openai_model: str = "gpt-4o-mini", offline_chunk_duration_s: float | None = None) -> ModelChoice:
    """The same choice the planner, storyboard, chunker and stitcher make from the same environment."""
    planner = openai_model if planner_provider == "openai" else "offline-planner"
    if settings.image_provider == "offline":
        image = with_product = "offline-image"
    else:
        image = settings.replicate_image_model
        with_product = next((m.name for m in registry.models.values() if m.kind == "image"
                             and m.provider == "replicate" and m.conditioning == "canny"), image)
    video = "offline-video" if settings.video_provider == "offline" else settings.replicate_video_model
    music = "offline-music" if settings.music_provider == "offline" else settings.replicate_music_model
    native = registry.get(video).chunk_duration_s or UNIT_S
    if settings.video_provider == "offline" and offline_chunk_duration_s:
        native = offline_chunk_duration_s
    return ModelChoice(planner, image, with_product, video, music, native)


class EstimateItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: str = Field(description="Stage that spends it.")
    model: str = Field(description="Model registry name.")
    calls: int = Field(description="Priced calls.", ge=0)
    units: float = Field(description="Billable units (images, seconds of video, requests, tracks).", ge=0)
    unit: str = Field(description="What a unit is.")
    unit_price_usd: float = Field(description="Registry price of one unit.", ge=0)
    usd: float = Field(description="Expected cost of these calls.", ge=0)


class Estimate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total_usd: float = Field(description="Expected cost in US dollars.", ge=0)
    low_usd: float = Field(description="Cheapest plan the planner may choose.", ge=0)
    high_usd: float = Field(description="Dearest plan the planner may choose.", ge=0)
    beats: int = Field(description="Beats assumed (the plan's, once planned).", ge=1)
    chunks: int = Field(description="Video chunks that many beats need.", ge=1)
    planned: bool = Field(description="True when computed from the stored plan (exact), false before planning.")
    expected_wall_s: float = Field(description="Rough wall time from request to finished video, seconds.", ge=0)
    items: list[EstimateItem] = Field(description="Per stage and model.")


def beat_bounds(duration_s: int) -> tuple[int, int]:
    """Fewest and most beats the planner may use (beats of 5, 10 or 15 s, at least three)."""
    units = duration_s // UNIT_S
    return max(MIN_BEATS, math.ceil(units / MAX_UNITS)), units


def expected_beats(duration_s: int) -> int:
    low, high = beat_bounds(duration_s)
    return min(max(round(duration_s / TYPICAL_BEAT_S), low), high)


def even_tiling(duration_s: int, beats: int) -> list[float]:
    """Beat lengths of `beats` beats in 5 s units, as even as the units allow."""
    units = duration_s // UNIT_S
    base, extra = divmod(units, beats)
    return [float((base + (1 if i < extra else 0)) * UNIT_S) for i in range(beats)]


def chunk_counts(beat_lengths: list[float], overlap_s: float, chunk_duration_s: float, fps: int) -> list[int]:
    """Chunks per beat, as the chunker plans them (whole frames, the crossfade overlap on all but the last)."""
    per = max(1, math.floor(chunk_duration_s * fps + 1e-6))
    last = len(beat_lengths) - 1
    return [math.ceil(max(1, round((length + (0.0 if i == last else overlap_s)) * fps)) / per)
            for i, length in enumerate(beat_lengths)]


def _item(info: ModelInfo, calls: int, units_per_call: float) -> EstimateItem:
    if info.kind == "video":
        units_per_call = billed_seconds(info, units_per_call)
    units = calls * (units_per_call if info.unit == "second" else 1.0)
    return EstimateItem(stage=stage_of_kind(info.kind), model=info.name, calls=calls, units=round(units, 6),
                        unit=info.unit, unit_price_usd=info.price_usd,
                        usd=round(calls * info.price(units_per_call), 6))


def _costed(beat_lengths: list[float], *, overlap_s: float, fps: int, music: bool, product: bool,
            choice: ModelChoice, registry: ModelRegistry) -> tuple[list[EstimateItem], int, float]:
    chunks = chunk_counts(beat_lengths, overlap_s, choice.chunk_duration_s, fps)
    planner, video = registry.get(choice.planner), registry.get(choice.video)
    image = registry.get(choice.image_with_product if product else choice.image)
    items = [_item(planner, 1, 1), _item(image, len(beat_lengths), 1),
             _item(video, sum(chunks), choice.chunk_duration_s)]
    wall = (planner.latency_s + math.ceil(len(beat_lengths) / image.concurrency) * image.latency_s
            # a beat's chunks run one after another (each starts from the last frame); beats run side by side
            + math.ceil(len(beat_lengths) / video.concurrency) * max(chunks) * video.latency_s
            + ENCODE_S_PER_VIDEO_S * sum(beat_lengths))
    if music:
        track = registry.get(choice.music)
        items.append(_item(track, 1, 1))
        wall += track.latency_s
    return items, sum(chunks), wall


def estimate(duration_s: int, *, overlap_s: float, fps: int, music: bool, product: bool, choice: ModelChoice,
             registry: ModelRegistry, beats: list[float] | None = None) -> Estimate:
    """The expected cost and wall time; with `beats` (the plan's beat lengths) the exact cost of that plan."""

    def costed(lengths: list[float]) -> tuple[list[EstimateItem], int, float]:
        return _costed(lengths, overlap_s=overlap_s, fps=fps, music=music, product=product, choice=choice,
                       registry=registry)

    lengths = list(beats) if beats is not None else even_tiling(duration_s, expected_beats(duration_s))
    items, chunks, wall = costed(lengths)
    total = round(sum(i.usd for i in items), 6)
    low = high = total
    if beats is None:
        low_n, high_n = beat_bounds(duration_s)
        totals = [sum(i.usd for i in costed(even_tiling(duration_s, n))[0]) for n in range(low_n, high_n + 1)]
        low, high = round(min(totals), 6), round(max(totals), 6)
    return Estimate(total_usd=total, low_usd=low, high_usd=high, beats=len(lengths), chunks=chunks,
                    planned=beats is not None, expected_wall_s=round(wall, 1), items=items)


def call_price(model: str, units: float, registry: ModelRegistry) -> float:
    """Registry price of one call of `model` (0 for a model the registry does not list)."""
    info = registry.models.get(model)
    return info.price(units) if info is not None else 0.0
