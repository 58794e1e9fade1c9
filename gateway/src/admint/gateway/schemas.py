"""The public API's request and response bodies (OpenAPI is generated from these)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from admint.contracts.common import Aspect, Framework, TransitionKind
from admint.contracts.ids import ID_PATTERN

MAX_SEED = 2**31 - 1


def _clean_text(value: str) -> str:
    """Text that survives UTF-8 storage and rendering: no lone surrogates, no NULs, not blank."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: TransitionKind = Field(default="crossfade", description="crossfade or cut.")
    duration_s: float = Field(default=0.5, description="Crossfade length in seconds (ignored for cut).", ge=0,
                              le=2)


class GenerationCreate(BaseModel):
    """What a client asks for. Unknown fields are refused, so a typo never silently falls back to a default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "brief": "A 30 second ad for a reusable steel water bottle that keeps drinks cold for 24 hours, "
                 "for hikers.",
        "duration_s": 30, "aspect": "9:16", "framework": "AIDA",
    }]})

    brief: str = Field(description="What the ad is about: product, audience, tone.", min_length=1,
                       max_length=5000)
    duration_s: int = Field(default=30, description="Length in seconds: 15–60, a multiple of 5.", ge=15, le=60,
                            multiple_of=5)
    aspect: Aspect = Field(default="9:16", description="Aspect of the master video.")
    renditions: list[Aspect] = Field(
        default_factory=list, max_length=3, description="Extra aspects to export beside the master."
    )
    framework: Framework | None = Field(default=None, description="Copy framework; null lets the planner choose.")
    creativity: float = Field(default=0.5, description="0 follows the archetype closely, 1 composes freely.",
                              ge=0, le=1)
    product_asset_id: str | None = Field(
        default=None, description="Id of an uploaded product image (POST /v1/assets).", pattern=ID_PATTERN
    )
    seed: int | None = Field(default=None, description="Seed for reproducible output; random when omitted.",
                             ge=0, le=MAX_SEED)
    transition: TransitionIn | None = Field(default=None, description="How beats join (default 0.5 s crossfade).")
    music: bool = Field(default=True, description="Whether to add a music bed.")

    @field_validator("brief")
    @classmethod
    def _brief_text(cls, value: str) -> str:
        return _clean_text(value)


class GenerationLinks(BaseModel):
    self: str = Field(description="This generation.")
    events: str = Field(description="Its SSE feed.")
    video: str = Field(description="Redirect to the finished video (409 until ready).")
    cancel: str = Field(description="POST here to cancel.")


class GenerationAccepted(BaseModel):
    id: str = Field(description="Generation id.")
    status: str = Field(description="Current status (queued for a new generation).")
    created_at: datetime = Field(description="When it was accepted.")
    links: GenerationLinks


class CostSummary(BaseModel):
    total_usd: float = Field(description="Sum of every recorded provider cost.")
    entries: list[dict[str, Any]] = Field(default_factory=list, description="One entry per priced call.")


class GenerationView(BaseModel):
    """One generation as its owner sees it. Stage fields appear as stages write them; links are presigned."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: str = Field(description="queued, planning, storyboarding, chunking, stitching, exporting, "
                                    "completed, failed or cancelled.")
    stage: str | None = Field(default=None, description="Stage working on it now, if any.")
    created_at: datetime
    updated_at: datetime | None = None
    spec: dict[str, Any] = Field(description="The resolved request.")
    plan: dict[str, Any] | None = Field(default=None, description="The beat plan, once planned.")
    frames: Any = Field(default=None, description="Storyboard frames in beat order: {beat_index, image{…, url}}.")
    chunks: Any = Field(default=None, description="Video chunks in (beat, chunk) order, with presigned `url`s.")
    master: dict[str, Any] | None = Field(default=None, description="The stitched master: video, duration, audio.")
    renditions: Any = Field(default=None, description="Exported renditions: aspect, size, method, video, fresh "
                                                      "presigned `url`, spec check.")
    spec_check: dict[str, Any] | None = Field(default=None, description="ffprobe verdicts per rendition.")
    poster: dict[str, Any] | None = Field(default=None, description="Poster JPEG with a presigned `url`.")
    thumbnail: dict[str, Any] | None = Field(default=None, description="Thumbnail JPEG with a presigned `url`.")
    costs: CostSummary = Field(description="Provider costs.")
    error: dict[str, Any] | None = Field(default=None, description="Why it failed, when it failed.")
    links: GenerationLinks


class GenerationSummary(BaseModel):
    id: str
    status: str
    stage: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    brief: str = Field(description="The brief (first 200 characters).")
    duration_s: int
    aspect: str
    links: GenerationLinks


class GenerationPage(BaseModel):
    items: list[GenerationSummary]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null at the end.")


class AssetView(BaseModel):
    id: str
    filename: str = Field(description="Name the file was uploaded with (informational only).")
    format: str = Field(description="Detected format of the upload: jpeg, png or webp.")
    width: int
    height: int
    size: int = Field(description="Bytes of the stored, re-encoded PNG.")
    sha256: str = Field(description="SHA-256 of the stored PNG.")
    created_at: datetime
    image_url: str = Field(description="Presigned link to the stored PNG.")
    thumbnail_url: str = Field(description="Presigned link to the thumbnail PNG.")


class AssetPage(BaseModel):
    items: list[AssetView]
    next_cursor: str | None = None


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: str = Field(description="Owner the key acts for (lowercase letters, digits, - and _).",
                       pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str = Field(default="", description="A label for humans.", max_length=200)
    max_active_generations: int | None = Field(default=None, ge=1, le=1000,
                                               description="Override of the concurrent-generation limit.")
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000,
                                              description="Override of the request rate limit.")


class KeyView(BaseModel):
    id: str
    owner: str
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None = None
    max_active_generations: int | None = None
    rate_limit_per_minute: int | None = None


class KeyCreated(KeyView):
    api_key: str = Field(description="The key itself. Shown once: it is stored only as a hash.")
