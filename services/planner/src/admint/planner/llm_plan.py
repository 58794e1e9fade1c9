"""What a language model is asked to return, its strict JSON schema, and its conversion into the Plan.

The model decides the creative content; bookkeeping (beat index, start times, planner name) is ours, so the
draft leaves those out and `to_plan` fills them before the contract's own validator checks the tiling.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from admint.contracts.common import BeatDuration, CameraMovement, Framework, ShotType
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Beat, MusicSpec, Plan, Style
from admint.planner.copywriting import shorten
from admint.planner.library import Library

_UNSUPPORTED = {
    "default",
    "title",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
}


class DraftBeat(BaseModel):
    model_config = ConfigDict(extra="ignore")

    beat_id: str = Field(description="Id of a beat from the beat library.")
    role: str = Field(description="Framework role; the last beat is 'action'.")
    duration_s: BeatDuration = Field(description="5, 10 or 15 seconds.")
    shot_type: ShotType = Field(description="Framing; keep the library beat's shot type.")
    camera_movement: CameraMovement = Field(description="Camera move, one of the beat's allowed moves.")
    action: str = Field(description="What happens on screen, one sentence.")
    prompt: str = Field(description="Image generation prompt for this shot, one vivid sentence.")
    caption: str = Field(description="On-screen caption, at most 48 characters.")
    energy: float = Field(description="Energy 0–1.")


class DraftPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    archetype: str = Field(description="Archetype id.")
    framework: Framework = Field(description="Copy framework.")
    product: str = Field(description="Product name or noun phrase from the brief.")
    audience: str = Field(description="Audience from the brief, empty if none.")
    call_to_action: str = Field(description="Closing call to action, at most 32 characters.")
    palette: list[str] = Field(description="3–5 colours as #rrggbb, dominant first.")
    style_keywords: list[str] = Field(description="2–6 visual style keywords.")
    mood: str = Field(description="Overall mood, one word.")
    music_mood: str = Field(description="Music bed mood, one word.")
    tempo_bpm: int = Field(description="Music tempo in BPM, 60–160.")
    beats: list[DraftBeat] = Field(description="Beats in order.")


class InvalidPlanOutput(ValueError):
    """The model's answer parsed but is not a usable plan; the message is fed back to it once."""


def strict_schema(library: Library) -> dict[str, Any]:
    """DraftPlan's JSON schema in the subset OpenAI strict structured outputs accept, with library enums."""
    schema = DraftPlan.model_json_schema()
    strip_unsupported(schema)
    schema["properties"]["archetype"]["enum"] = sorted(library.archetypes)
    schema["$defs"]["DraftBeat"]["properties"]["beat_id"]["enum"] = list(library.beats)
    return schema


def strip_unsupported(node: Any) -> None:
    """In place: drop keywords strict structured outputs refuse; every object closed, every property required."""
    if isinstance(node, dict):
        for key in _UNSUPPORTED & node.keys():
            del node[key]
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        for value in node.values():
            strip_unsupported(value)
    elif isinstance(node, list):
        for item in node:
            strip_unsupported(item)


def to_plan(draft: DraftPlan, spec: GenerationSpec, model: str, library: Library) -> Plan:
    """Fill bookkeeping, clamp cosmetic overflows, refuse structural errors (the message goes to the LLM)."""
    total = sum(b.duration_s for b in draft.beats)
    if total != spec.duration_s:
        raise InvalidPlanOutput(f"the beat durations add up to {total} seconds, not {spec.duration_s}")
    if len(draft.beats) < 2:
        raise InvalidPlanOutput("a plan needs at least two beats")
    unknown = [b.beat_id for b in draft.beats if b.beat_id not in library.beats]
    if unknown:
        raise InvalidPlanOutput(f"unknown beat ids {unknown}; use ids from the beat library")
    if draft.archetype not in library.archetypes:
        raise InvalidPlanOutput(f"unknown archetype {draft.archetype!r}")
    palette = [c.lower() for c in draft.palette if _is_hex(c)][:6]
    if len(palette) < 2:
        raise InvalidPlanOutput("the palette needs at least two #rrggbb colours")
    cta = (shorten(draft.call_to_action, 60) or "").strip()
    if not cta:
        raise InvalidPlanOutput("the call to action is empty or longer than 60 characters")
    beats, start = [], 0
    for i, b in enumerate(draft.beats):
        beats.append(
            Beat(
                index=i,
                beat_id=b.beat_id,
                role=b.role or "beat",
                start_s=start,
                duration_s=b.duration_s,
                shot_type=b.shot_type,
                camera_movement=b.camera_movement,
                action=b.action or b.prompt,
                prompt=b.prompt or b.action or b.beat_id,
                caption=_fit(b.caption, 120),
                energy=min(max(b.energy, 0.0), 1.0),
            )
        )
        start += b.duration_s
    try:
        return Plan(
            archetype=draft.archetype,
            framework=spec.framework or draft.framework,  # the client's choice wins
            duration_s=spec.duration_s,
            beats=beats,
            style=Style(
                palette=palette,
                keywords=[k for k in draft.style_keywords if k][:6],
                mood=draft.mood or "neutral",
            ),
            music=MusicSpec(
                mood=draft.music_mood or "uplifting", tempo_bpm=min(max(draft.tempo_bpm, 50), 180)
            ),
            product=draft.product[:80],
            audience=draft.audience[:80],
            call_to_action=cta,
            planner_model=model,
        )
    except ValidationError as exc:
        raise InvalidPlanOutput(str(exc)) from exc


def _fit(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return shorten(text, limit) or text[:limit].rsplit(" ", 1)[0]


def _is_hex(colour: str) -> bool:
    return len(colour) == 7 and colour[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in colour[1:])
