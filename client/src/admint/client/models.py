"""The API's bodies as typed models, read tolerantly: fields the gateway adds later are kept (`extra="allow"`), so
an older client never breaks on a newer gateway. `tests/unit/client` checks every field here against the
gateway's OpenAPI document, so the names cannot drift."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from admint.contracts.registry import TERMINAL_TYPES
from admint.contracts.stages import PIPELINE


class Body(BaseModel):
    """A response body: declared fields typed, unknown ones kept as they came."""

    model_config = ConfigDict(extra="allow")


class Links(Body):
    self: str | None = None
    events: str | None = None
    video: str | None = None
    cancel: str | None = None


class Accepted(Body):
    """What POST /v1/generations (and cancel, retry) answer."""

    id: str
    status: str
    created_at: datetime | None = None
    links: Links = Field(default_factory=Links)


class Rendition(Body):
    aspect: str
    size: dict[str, int]
    method: str
    url: str
    url_expires_at: datetime
    spec_check: dict[str, Any] = Field(default_factory=dict)


class Costs(Body):
    total_usd: float = 0.0
    entries: list[dict[str, Any]] = Field(default_factory=list)


class Failure(Body):
    stage: str
    reason: str
    retryable: bool
    detail: str | None = None
    at: datetime | None = None


class Generation(Body):
    """GET /v1/generations/{id}: status, the request, the plan, and what each stage made."""

    id: str
    status: str
    stage: str | None = None
    attempt: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    spec: dict[str, Any] = Field(default_factory=dict)
    plan: dict[str, Any] | None = None
    frames: list[dict[str, Any]] = Field(default_factory=list)
    chunks: list[dict[str, Any]] = Field(default_factory=list)
    master: dict[str, Any] | None = None
    renditions: list[Rendition] = Field(default_factory=list)
    costs: Costs = Field(default_factory=Costs)
    error: Failure | None = None
    links: Links = Field(default_factory=Links)
    trace_id: str | None = None
    """OpenTelemetry trace of the generation (null when tracing is off)."""
    beats: list[dict[str, Any]] = Field(default_factory=list)
    """Every beat's card: index, state, take, ad_version, frame."""
    studio: dict[str, Any] | None = None
    """Interactive generations: checkpoints, where it waits, its deadline, the mood boards."""
    plan_rev: int = 0
    latest_version: int = 1
    rendering_version: int | None = None

    @property
    def finished(self) -> bool:
        return self.status in PIPELINE.terminal

    @property
    def succeeded(self) -> bool:
        return self.status == "completed"


class GenerationSummary(Body):
    id: str
    status: str
    stage: str | None = None
    created_at: datetime
    updated_at: datetime
    brief: str
    duration_s: int
    aspect: str
    links: Links


class GenerationPage(Body):
    items: list[GenerationSummary]
    next_cursor: str | None = None


class GenerationRequest(BaseModel):
    """POST /v1/generations: only `brief` is required; unknown fields are refused (as the gateway does)."""

    model_config = ConfigDict(extra="forbid")

    brief: str
    duration_s: int | None = None
    aspect: str | None = None
    renditions: list[str] | None = None
    framework: str | None = None
    creativity: float | None = None
    product_asset_id: str | None = None
    seed: int | None = None
    transition: dict[str, Any] | None = None
    music: bool | None = None
    max_cost_usd: float | None = None
    quality_threshold: float | None = None
    webhook_url: str | None = None
    interactive: bool | None = None
    checkpoints: list[str] | None = None

    def body(self) -> dict[str, Any]:
        """The JSON body: what was set (the gateway's defaults fill the rest)."""
        return self.model_dump(exclude_none=True)


class Asset(Body):
    id: str
    filename: str
    format: str
    width: int
    height: int
    size: int
    sha256: str
    created_at: datetime
    image_url: str
    thumbnail_url: str


class AssetPage(Body):
    items: list[Asset]
    next_cursor: str | None = None


class ApiKey(Body):
    id: str
    owner: str
    name: str = ""
    prefix: str = ""
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    max_active_generations: int | None = None
    rate_limit_per_minute: int | None = None


class CreatedKey(ApiKey):
    api_key: str
    """The key itself, shown once."""


class Limits(Body):
    max_active_generations: int
    rate_limit_per_minute: int


class Me(Body):
    owner: str
    key_id: str
    limits: Limits
    active_generations: int
    active_by_status: list[dict[str, Any]] = Field(default_factory=list)
    """[{status, count}] of this owner's unfinished generations."""
    queue_depth: int = 0
    """Generations of every owner accepted and not yet started."""


class FeedEvent(BaseModel):
    """One frame of the SSE feed: `seq` (resume with it as Last-Event-ID), the event type and the event."""

    model_config = ConfigDict(frozen=True)

    seq: int
    type: str
    data: dict[str, Any]

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL_TYPES
