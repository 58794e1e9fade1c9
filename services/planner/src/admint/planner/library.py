"""The planner's data: beat library, archetypes, copy frameworks and lexicon, loaded from versioned YAML.

The files live in `data/` beside this module so content can change without code; pydantic models validate
them and the cross-checks below (references, coverage of every duration) fail loudly at import time.
"""

from functools import cache
from pathlib import Path
from string import Formatter
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from admint.contracts.common import CameraMovement, Framework, ShotType

DATA_DIR = Path(__file__).with_name("data")
SUPPORTED_VERSION = 1
DURATIONS = range(15, 61, 5)
Position = Literal["opening", "middle", "closing"]
PLACEHOLDERS = frozenset({"product", "audience", "setting", "look", "problem", "feature", "benefit", "proof"})


def placeholders(template: str) -> set[str]:
    """Names used by a str.format template, lower-cased ({Benefit} → benefit)."""
    return {name.lower() for _, name, _, _ in Formatter().parse(template) if name}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BeatDef(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    shot_type: ShotType
    camera_movements: list[CameraMovement] = Field(min_length=1)
    positions: list[Position] = Field(min_length=1)
    energy: float = Field(ge=0, le=1)
    roles: list[str] = Field(min_length=1)
    products: list[str] = Field(min_length=1)
    action: str
    prompt: str

    @field_validator("action", "prompt")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        unknown = placeholders(value) - PLACEHOLDERS
        if unknown:
            raise ValueError(f"unknown placeholders {sorted(unknown)} in {value!r}")
        return value

    def suits(self, category: str) -> bool:
        return "any" in self.products or category in self.products


class MusicRange(_Frozen):
    mood: str
    tempo_bpm: tuple[int, int]


class Affinity(_Frozen):
    tones: dict[str, float] = Field(default_factory=dict)
    categories: dict[str, float] = Field(default_factory=dict)
    cues: dict[Literal["problems", "features", "proof", "audience"], float] = Field(default_factory=dict)


class Archetype(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    narrative: str
    sequence: list[str] = Field(min_length=3)
    extend_with: list[str] = Field(min_length=1)
    duration_range_s: tuple[int, int]
    seconds_per_beat: float = Field(ge=5, le=15)
    energy_curve: list[float] = Field(min_length=2)
    framework: Framework
    style_keywords: list[str] = Field(default_factory=list)
    music: MusicRange
    affinity: Affinity

    def fits(self, duration_s: int) -> bool:
        low, high = self.duration_range_s
        return low <= duration_s <= high

    def energy_at(self, t: float) -> float:
        """Energy curve value at normalised time t ∈ [0, 1] (linear interpolation)."""
        points = self.energy_curve
        x = min(max(t, 0.0), 1.0) * (len(points) - 1)
        i = min(int(x), len(points) - 2)
        return points[i] + (points[i + 1] - points[i]) * (x - i)


class RoleDef(_Frozen):
    role: str
    weight: float = Field(ge=0)
    captions: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_plain_caption(self) -> "RoleDef":
        if self.role != "action" and not any(not placeholders(c) for c in self.captions):
            raise ValueError(f"role {self.role!r} needs a caption without placeholders (sparse briefs)")
        for caption in self.captions:
            unknown = placeholders(caption) - PLACEHOLDERS
            if unknown:
                raise ValueError(f"unknown placeholders {sorted(unknown)} in caption {caption!r}")
        return self


class FrameworkDef(_Frozen):
    name: str
    roles: list[RoleDef] = Field(min_length=2)

    @model_validator(mode="after")
    def _ends_with_action(self) -> "FrameworkDef":
        if self.roles[-1].role != "action":
            raise ValueError("the last role of a framework must be 'action'")
        return self

    @property
    def opening(self) -> RoleDef:
        return self.roles[0]

    @property
    def middle(self) -> list[RoleDef]:
        return self.roles[1:-1] or [self.roles[0]]

    def role(self, name: str) -> RoleDef:
        return next(r for r in self.roles if r.role == name)


class CategoryDef(_Frozen):
    keywords: list[str] = Field(default_factory=list)
    settings: list[str] = Field(min_length=1)
    cta: str = Field(max_length=60)


class ToneDef(_Frozen):
    keywords: list[str] = Field(default_factory=list)
    palettes: list[list[str]] = Field(min_length=1)
    look: str
    music_mood: str
    tempo_shift: int = 0
    pacing: float = Field(default=1.0, gt=0.5, lt=2)

    @field_validator("palettes")
    @classmethod
    def _hex(cls, palettes: list[list[str]]) -> list[list[str]]:
        for palette in palettes:
            if not 2 <= len(palette) <= 6 or not all(_is_hex(c) for c in palette):
                raise ValueError(f"palette {palette} must be 2–6 #rrggbb colours")
        return palettes


class Lexicon(_Frozen):
    version: int
    categories: dict[str, CategoryDef]
    default_category: CategoryDef
    tones: dict[str, ToneDef]
    default_tone: ToneDef
    colours: dict[str, str]
    people: list[str]
    cta_phrases: list[str]

    @field_validator("colours")
    @classmethod
    def _colour_hex(cls, colours: dict[str, str]) -> dict[str, str]:
        bad = [name for name, value in colours.items() if not _is_hex(value)]
        if bad:
            raise ValueError(f"colours {bad} are not #rrggbb")
        return colours


class Library(_Frozen):
    """Everything the planners compose from, cross-checked."""

    version: int
    beats: dict[str, BeatDef]
    archetypes: dict[str, Archetype]
    frameworks: dict[str, FrameworkDef]
    lexicon: Lexicon

    @model_validator(mode="after")
    def _cross_check(self) -> "Library":
        roles = {r.role for fw in self.frameworks.values() for r in fw.roles}
        for beat in self.beats.values():
            if not set(beat.roles) <= roles:
                raise ValueError(f"beat {beat.id} names unknown roles {sorted(set(beat.roles) - roles)}")
            unknown = set(beat.products) - set(self.lexicon.categories) - {"any"}
            if unknown:
                raise ValueError(f"beat {beat.id} names unknown categories {sorted(unknown)}")
        for arch in self.archetypes.values():
            for beat_id in [*arch.sequence, *arch.extend_with]:
                if beat_id not in self.beats:
                    raise ValueError(f"archetype {arch.id} uses unknown beat {beat_id!r}")
            if "opening" not in self.beats[arch.sequence[0]].positions:
                raise ValueError(f"archetype {arch.id} opens with {arch.sequence[0]}, not an opening beat")
            if "closing" not in self.beats[arch.sequence[-1]].positions:
                raise ValueError(f"archetype {arch.id} closes with {arch.sequence[-1]}, not a closing beat")
            for key in arch.affinity.tones:
                if key not in self.lexicon.tones:
                    raise ValueError(f"archetype {arch.id} has affinity for unknown tone {key!r}")
            for key in arch.affinity.categories:
                if key not in self.lexicon.categories:
                    raise ValueError(f"archetype {arch.id} has affinity for unknown category {key!r}")
        for framework in ("AIDA", "PAS", "FAB"):
            if framework not in self.frameworks:
                raise ValueError(f"framework {framework} is missing")
        uncovered = [d for d in DURATIONS if not any(a.fits(d) for a in self.archetypes.values())]
        if uncovered:
            raise ValueError(f"no archetype covers durations {uncovered}")
        if not any("closing" in b.positions and "action" in b.roles for b in self.beats.values()):
            raise ValueError("the library needs a closing beat that can carry the call to action")
        return self


def _is_hex(colour: str) -> bool:
    return len(colour) == 7 and colour[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in colour[1:])


def _read(name: str) -> dict:
    raw = yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))
    if raw.get("version") != SUPPORTED_VERSION:
        raise ValueError(
            f"{name}: version {raw.get('version')!r}, this planner reads version {SUPPORTED_VERSION}"
        )
    return raw


@cache
def load_library() -> Library:
    """Load and validate the data files once per process."""
    beats = _read("beats.yaml")["beats"]
    archetypes = _read("archetypes.yaml")["archetypes"]
    frameworks = _read("frameworks.yaml")["frameworks"]
    return Library.model_validate(
        {
            "version": SUPPORTED_VERSION,
            "beats": _unique(beats, "beat"),
            "archetypes": _unique(archetypes, "archetype"),
            "frameworks": frameworks,
            "lexicon": _read("lexicon.yaml"),
        }
    )


def _unique(items: list[dict], what: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for item in items:
        if item["id"] in out:
            raise ValueError(f"duplicate {what} id {item['id']!r}")
        out[item["id"]] = item
    return out
