"""The public API's request and response bodies (OpenAPI is generated from these)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.beats import BeatState
from admint.contracts.common import Aspect, FrameSize, Framework, TransitionKind
from admint.contracts.export import SpecCheck
from admint.contracts.generation import GenerationSpec
from admint.contracts.ids import ID_PATTERN
from admint.contracts.plan import MusicSpec, Plan, Style
from admint.contracts.stages import Checkpoint, Stage, Status
from admint.gateway.quality_schemas import QualityView

MAX_SEED = 2**31 - 1
OWNER_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
"""Owners appear in object keys (assets/<owner>/…), so they are kept to a safe lowercase alphabet."""
# every character str.isspace() calls blank
_BLANKS = "\\t-\\r\\x1c- \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
TEXT_PATTERN = f"^[^\\x00]*[^\\x00{_BLANKS}][^\\x00]*$"
"""Free text (brief, feedback): no NUL and not blank, said in the schema too — the check alone (`_clean_text`) let
the OpenAPI document promise that "\\x00" or "   " would be taken (a fuzzer found it). Written with escapes that
JSON Schema (ECMA-262), Python and pydantic's Rust regex all read alike."""


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
                       max_length=5000, pattern=TEXT_PATTERN)
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
    webhook_url: str | None = Field(
        default=None, min_length=8, max_length=2048,
        description="Also send this generation's webhooks here, signed with the owner's request secret "
                    "(POST /v1/webhooks/request/rotate-secret makes it).",
    )
    max_cost_usd: float | None = Field(
        default=None, gt=0, le=100_000,
        description="Spend limit: refused up front (422, with the estimate) when the estimate is higher; stopped "
                    "(failed) before a priced call would cross it.",
    )
    quality_threshold: float | None = Field(
        default=None, ge=0, le=100,
        description="Quality gate, 0–100: a chunk whose overall score is below it is rendered again with a new "
                    "seed (at most ADMINT_QUALITY_MAX_RETAKES times; the best take is kept). Stitching then waits "
                    "for the chunks' scores. Omit it and nothing waits for the scorer.",
    )
    interactive: bool = Field(
        default=False, description="Stop at `checkpoints` for your approval, edits and feedback (false: automatic)."
    )
    checkpoints: list[Checkpoint] | None = Field(
        default=None, max_length=3,
        description="Where an interactive generation waits: moods, plan, storyboard (default: plan, storyboard).",
    )

    @field_validator("brief")
    @classmethod
    def _brief_text(cls, value: str) -> str:
        return _clean_text(value)

    @model_validator(mode="after")
    def _checkpoints_need_interactive(self) -> "GenerationCreate":
        if self.checkpoints is not None and not self.interactive:
            raise ValueError("checkpoints are only taken by an interactive generation: set interactive to true")
        return self


class VariantOptions(BaseModel):
    """What one member of a generation group changes from the group's options (omitted: the group's)."""

    model_config = ConfigDict(extra="forbid")

    framework: Framework | None = Field(default=None, description="Copy framework of this member.")
    creativity: float | None = Field(default=None, ge=0, le=1, description="Creativity of this member.")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="Seed of this member.")
    transition: TransitionIn | None = Field(default=None, description="How this member's beats join.")
    music: bool | None = Field(default=None, description="Whether this member has a music bed.")


MAX_VARIANTS = 8


class GroupCreate(GenerationCreate):
    """A generation group: up to 8 generations of one brief (A/B variants), each an ordinary generation."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "brief": "A 30 second ad for a reusable steel water bottle that keeps drinks cold for 24 hours.",
        "duration_s": 30, "variants": 3,
    }, {"brief": "A 15 second ad for oat milk.", "duration_s": 15,
        "variants": [{"framework": "PAS"}, {"creativity": 0.9, "seed": 7}]}]})

    variants: int | list[VariantOptions] = Field(
        description=f"How many members (2–{MAX_VARIANTS}; they differ by copy framework, then seed), or one set "
                    f"of option overrides per member (1–{MAX_VARIANTS}).",
    )

    @field_validator("variants")
    @classmethod
    def _bounded(cls, value: int | list[VariantOptions]) -> int | list[VariantOptions]:
        count = value if isinstance(value, int) else len(value)
        low = 2 if isinstance(value, int) else 1
        if not low <= count <= MAX_VARIANTS:
            raise ValueError(f"a group has {low}–{MAX_VARIANTS} members")
        return value


class Public(BaseModel):
    """A response body: exactly the declared fields, so nothing stored reaches the API by accident."""

    model_config = ConfigDict(extra="forbid")


class GenerationLinks(Public):
    self: str = Field(description="This generation.")
    events: str = Field(description="Its SSE feed.")
    video: str = Field(description="Redirect to the finished video (409 until ready).")
    cancel: str = Field(description="POST here to cancel.")


class GenerationAccepted(Public):
    id: str = Field(description="Generation id.")
    status: Status = Field(description="Current status (queued for a new generation).")
    created_at: datetime = Field(description="When it was accepted.")
    links: GenerationLinks = Field(description="Where to follow it.")


class ArtifactView(ArtifactRef):
    """A stored object with a fresh presigned link (made for this response; ask again for a new one)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Presigned GET link to the object; needs no API key; expires.")


class SpecView(GenerationSpec):
    """The resolved request every stage works from."""

    model_config = ConfigDict(extra="forbid")

    product_asset: ArtifactView | None = Field(
        default=None, description="Where the product image is stored, with a presigned `url`."
    )


class FrameView(Public):
    beat_index: int = Field(description="Beat the frame belongs to.", ge=0)
    image: ArtifactView = Field(description="The storyboard PNG.")
    model: str = Field(description="Image model that rendered it.")


class ChunkView(Public):
    beat_index: int = Field(description="Beat the chunk belongs to.", ge=0)
    chunk_index: int = Field(description="Position of the chunk inside its beat.", ge=0)
    duration_s: float = Field(description="Length of the stored chunk, seconds.", gt=0)
    video: ArtifactView = Field(description="The normalised chunk MP4.")
    last_frame: ArtifactView = Field(description="Its last frame (PNG), the next chunk's first.")
    model: str = Field(description="Video model that rendered it.")


class MasterView(Public):
    video: ArtifactView = Field(description="The stitched master MP4 (before export).")
    duration_s: float = Field(description="Duration of the master, seconds.", gt=0)
    has_audio: bool = Field(description="Whether a music bed was mixed in.")
    music_model: str | None = Field(default=None, description="Music model of the bed, if any.")
    music_error: str | None = Field(default=None, description="Why there is no music bed, when one was asked for.")


class RenditionView(Public):
    aspect: Aspect = Field(description="Aspect of this rendition.")
    size: FrameSize = Field(description="Pixel size.")
    method: str = Field(description="How it was derived from the master: master, crop or pad.")
    video: ArtifactView = Field(description="The rendition MP4.")
    url: str = Field(description="Presigned download link (same as `video.url`).")
    url_expires_at: datetime = Field(description="When `url` stops working.")
    spec_check: SpecCheck = Field(description="ffprobe verdict on this rendition.")


class CostItem(Public):
    key: str = Field(description="What was priced, e.g. storyboard:3 or chunk:2-1.")
    stage: Stage = Field(description="Stage that spent it.")
    model: str = Field(description="Model registry name.")
    units: float = Field(description="Billable units (images, seconds of video, tokens/1000).", ge=0)
    usd: float = Field(description="Price in US dollars.", ge=0)


class StageCost(Public):
    stage: Stage = Field(description="Stage that spent it.")
    usd: float = Field(description="Recorded spend, USD.", ge=0)


class ModelCost(Public):
    model: str = Field(description="Model registry name.")
    usd: float = Field(description="Recorded spend, USD.", ge=0)


class CostSummary(Public):
    total_usd: float = Field(description="Sum of every recorded provider cost.")
    entries: list[CostItem] = Field(default_factory=list, description="One entry per priced call, by key.")
    by_stage: list[StageCost] = Field(default_factory=list, description="Recorded spend by stage.")
    by_model: list[ModelCost] = Field(default_factory=list, description="Recorded spend by model.")
    estimated_usd: float | None = Field(default=None, description="The estimate when the request was accepted.")
    projected_usd: float | None = Field(default=None,
                                        description="The cost of its plan with this deployment's models, once "
                                                    "planned (what the run will record unless stopped or retried).")
    max_cost_usd: float | None = Field(default=None, description="The request's spend limit, if any.")


class ErrorView(Public):
    stage: Stage = Field(description="Stage that failed.")
    reason: str = Field(description="Why, for humans.")
    retryable: bool = Field(description="Whether POST …/retry may help.")
    detail: str | None = Field(default=None, description="Technical detail (exception text, provider answer).")
    at: datetime | None = Field(default=None, description="When it failed.")


class MediaRemoved(Public):
    """What the retention policy has removed (links to those objects no longer work)."""

    intermediates_at: datetime | None = Field(default=None, description="When frames, chunks and music were removed.")
    videos_at: datetime | None = Field(default=None, description="When the finished videos were removed.")
class BeatCard(Public):
    """One beat as a studio draws it: its state in the beat state machine and its current frame."""

    index: int = Field(description="Beat index (0-based).")
    state: BeatState = Field(description="planned, frame_ready, frame_approved, rendering, video_ready, regenerating "
                                         "or failed.")
    take: int = Field(default=0, description="Take of its frame (0: the first render).")
    ad_version: int = Field(default=1, description="Version of the ad the state is about.")
    frame: ArtifactView | None = Field(default=None, description="Its current frame, with a fresh link.")
    reason: str | None = Field(default=None, description="Why it failed, when it failed.")


class MoodBoardView(Public):
    """One look the ad could take (the moods checkpoint)."""

    index: int = Field(description="Board number to pick with POST …/approve {checkpoint: moods, mood}.")
    name: str = Field(description="Short name of the look.")
    style: Style = Field(description="Palette, keywords and mood every frame follows when it is chosen.")
    music: MusicSpec = Field(description="Music bed mood and tempo that go with it.")
    images: list[ArtifactView] = Field(description="Four preview images of the look, with fresh links.")
    chosen: bool = Field(default=False, description="Whether this board was picked.")


class StudioView(Public):
    """Where an interactive generation stands with its owner."""

    checkpoints: list[Checkpoint] = Field(description="Checkpoints it stops at.")
    checkpoint: Checkpoint | None = Field(default=None, description="Where it waits now (status awaiting_approval).")
    deadline: datetime | None = Field(default=None, description="When it expires if nobody acts there.")
    approved: list[Checkpoint] = Field(default_factory=list, description="Checkpoints approved so far.")
    moods: list[MoodBoardView] = Field(default_factory=list, description="The mood boards, once rendered.")


class GenerationView(Public):
    """One generation as its owner sees it. Stage sections appear as stages write them; every stored object
    carries a fresh presigned `url`."""

    id: str = Field(description="Generation id.")
    status: Status = Field(description="Where it is: queued, a stage's status, or completed/failed/cancelled.")
    stage: Stage | None = Field(default=None, description="Stage working on it now (or the one that failed).")
    attempt: int = Field(description="Retry round: 0, then +1 per POST …/retry.", ge=0)
    created_at: datetime = Field(description="When it was accepted.")
    updated_at: datetime = Field(description="When anything about it last changed.")
    spec: SpecView = Field(description="The resolved request.")
    plan: Plan | None = Field(default=None, description="The beat plan, once planned.")
    frames: list[FrameView] = Field(default_factory=list, description="Storyboard frames in beat order.")
    chunks: list[ChunkView] = Field(default_factory=list, description="Video chunks in (beat, chunk) order.")
    master: MasterView | None = Field(default=None, description="The stitched master, once stitched.")
    renditions: list[RenditionView] = Field(default_factory=list,
                                            description="Exported renditions, the master's aspect first.")
    poster: ArtifactView | None = Field(default=None, description="Poster JPEG, once exported.")
    thumbnail: ArtifactView | None = Field(default=None, description="Thumbnail JPEG, once exported.")
    costs: CostSummary = Field(description="Provider costs.")
    error: ErrorView | None = Field(default=None, description="Why it failed, when it failed.")
    media_removed: MediaRemoved | None = Field(default=None,
                                               description="Set once the retention policy removed some of its media.")
    quality: QualityView = Field(default_factory=QualityView, description="Quality scores of its chunks, master "
                                                                          "and renditions (issue 14).")
    group_id: str | None = Field(default=None, description="The generation group (A/B variants) it belongs to.")
    links: GenerationLinks = Field(description="Related resources.")
    trace_id: str | None = Field(default=None, description="OpenTelemetry trace id of the request that created "
                                 "it (32 hex digits; null when tracing is off): find its spans in your tracing "
                                 "backend and its log lines by `trace_id`.", pattern=r"^[0-9a-f]{32}$")
    beats: list[BeatCard] = Field(default_factory=list, description="Every beat's card (beat state machine).")
    studio: StudioView | None = Field(default=None, description="Checkpoints and mood boards (interactive only).")
    plan_rev: int = Field(default=0, description="Revision of the plan (+1 per change after planning).")
    latest_version: int = Field(default=1, description="Newest completed version of the ad (the default download).")
    rendering_version: int | None = Field(default=None, description="Version being rendered now, if any.")


class GenerationSummary(Public):
    id: str = Field(description="Generation id.")
    status: Status = Field(description="Where it is.")
    stage: Stage | None = Field(default=None, description="Stage working on it now (or the one that failed).")
    created_at: datetime = Field(description="When it was accepted.")
    updated_at: datetime = Field(description="When anything about it last changed.")
    brief: str = Field(description="The brief (first 200 characters).")
    duration_s: int = Field(description="Requested length, seconds.")
    aspect: Aspect = Field(description="Aspect of the master.")
    links: GenerationLinks = Field(description="Related resources.")


class GenerationPage(Public):
    items: list[GenerationSummary] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null at the end.")


class Limits(Public):
    max_active_generations: int = Field(description="Generations this key may run at once.")
    rate_limit_per_minute: int = Field(description="Requests this key may make per minute.")
    generations_per_day: int | None = Field(default=None, description="Generations per UTC day (null: no quota).")
    spend_per_month_usd: float | None = Field(default=None,
                                              description="Provider spend per UTC month, USD (null: no quota).")


class StatusCount(Public):
    """How many generations are in one status."""

    status: Status = Field(description="A status of an unfinished generation.")
    count: int = Field(description="How many generations are in it.", ge=1)


class MeView(Public):
    owner: str = Field(description="Owner the key acts for.")
    key_id: str = Field(description="Id of the key used.")
    limits: Limits = Field(description="Limits that apply to this key.")
    active_generations: int = Field(description="Generations of this owner not yet finished.", ge=0)
    active_by_status: list[StatusCount] = Field(
        default_factory=list, description="This owner's unfinished generations by status (queued: accepted, "
                                          "waiting for the planner); statuses with none are left out.")
    queue_depth: int = Field(
        default=0, ge=0, description="Generations of every owner accepted and not yet started: how much work is "
                                     "ahead of a new one (the metric admint_generations_active, status queued).")


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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"owner": "acme", "name": "acme production", "max_active_generations": 4},
    ]})

    owner: str = Field(description="Owner the key acts for (lowercase letters, digits, - and _).",
                       pattern=OWNER_PATTERN)
    name: str = Field(default="", description="A label for humans.", max_length=200)
    max_active_generations: int | None = Field(default=None, ge=1, le=1000,
                                               description="Override of the concurrent-generation limit.")
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000,
                                              description="Override of the request rate limit.")
    generations_per_day: int | None = Field(default=None, ge=1, le=1_000_000,
                                            description="Quota of generations per UTC day.")
    spend_per_month_usd: float | None = Field(default=None, gt=0, le=10_000_000,
                                              description="Quota of provider spend per UTC month, USD.")


class AuditEntry(BaseModel):
    """One admin action."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Entry id (time-ordered).")
    at: datetime = Field(description="When it happened.")
    action: str = Field(description="What happened: key.created or key.revoked.")
    actor: str = Field(description="Who did it (the admin token).")
    target: str = Field(description="The key it concerns.")
    client: str | None = Field(default=None, description="The client's address, as the gateway saw it.")
    details: dict[str, str | int | None] = Field(default_factory=dict, description="Owner, name, limits.")


class AuditPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[AuditEntry] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null at the end.")


class KeyView(BaseModel):
    id: str
    owner: str
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None = None
    max_active_generations: int | None = None
    rate_limit_per_minute: int | None = None
    generations_per_day: int | None = None
    spend_per_month_usd: float | None = None


class KeyCreated(KeyView):
    api_key: str = Field(description="The key itself. Shown once: it is stored only as a hash.")
