"""Build the image, video and music models a service uses from its settings (offline unless told otherwise).

Called once per process from a service's composition root. A Replicate provider without a token, or naming a
model the registry does not know for that kind, is a configuration error raised at startup, not at the first
message. Each offline model lives beside its only consumer (storyboard, chunker, stitcher), which passes its
constructor in as `offline`; the Replicate adapters are imported lazily so a process loads only what it runs.
"""

from collections.abc import Callable

from admint.providers.chaos import apply_chaos
from admint.providers.ports import ImageModel, MusicModel, SlotLease, VideoModel
from admint.providers.registry import ModelRegistry, load_registry
from admint.providers.replicate import ReplicateClient, ReplicateConfig
from admint.providers.settings import ProviderSettings
from admint.providers.tracing import traced


class ProviderConfigError(ValueError):
    """The settings ask for a provider that cannot be built as configured."""


def replicate_client(settings: ProviderSettings, shared_slots: SlotLease | None = None) -> ReplicateClient:
    """A Replicate client from ADMINT_REPLICATE_* settings; refuses to start without a token. `shared_slots`
    makes the registry's per-model concurrency hold across every replica (services pass SharedSlots.hold)."""
    token = settings.replicate_api_token.get_secret_value() if settings.replicate_api_token else ""
    if not token.strip():
        raise ProviderConfigError(
            "a Replicate provider is selected (ADMINT_IMAGE_PROVIDER / ADMINT_VIDEO_PROVIDER / "
            "ADMINT_MUSIC_PROVIDER=replicate) but ADMINT_REPLICATE_API_TOKEN is not set"
        )
    return ReplicateClient(ReplicateConfig(
        token=token.strip(), base_url=settings.replicate_base_url, timeout_s=settings.replicate_timeout_s
    ), shared_slots=shared_slots)


def _check(registry: ModelRegistry, name: str, kind: str, setting: str) -> str:
    try:
        info = registry.get(name)
    except KeyError as exc:
        raise ProviderConfigError(f"{setting}={name!r}: {exc.args[0]}") from None
    if info.kind != kind or info.provider != "replicate":
        raise ProviderConfigError(f"{setting}={name!r} is a {info.provider} {info.kind} model, "
                                  f"not a Replicate {kind} model")
    return name


def build_image_model(
    settings: ProviderSettings,
    offline: Callable[[], ImageModel],
    client: ReplicateClient | None = None,
    shared_slots: SlotLease | None = None,
) -> ImageModel:
    """The configured image model, wrapped in the chaos knobs when ADMINT_CHAOS names it (and traced
    when tracing is on)."""
    model = apply_chaos(_image_model(settings, offline, client, shared_slots), "image", settings.chaos)
    return traced(model, "image", "render")  # type: ignore[no-any-return]


def _image_model(
    settings: ProviderSettings, offline: Callable[[], ImageModel], client: ReplicateClient | None,
    shared_slots: SlotLease | None,
) -> ImageModel:
    if settings.image_provider == "offline":
        return offline()
    from admint.providers.replicate_image import ReplicateImageModel

    registry = load_registry()
    name = _check(registry, settings.replicate_image_model, "image", "ADMINT_REPLICATE_IMAGE_MODEL")
    return ReplicateImageModel(client or replicate_client(settings, shared_slots), text_model=name, registry=registry)


def build_video_model(
    settings: ProviderSettings,
    offline: Callable[[], VideoModel],
    client: ReplicateClient | None = None,
    shared_slots: SlotLease | None = None,
) -> VideoModel:
    """The configured video model, wrapped in the chaos knobs when ADMINT_CHAOS names it (and traced
    when tracing is on)."""
    model = apply_chaos(_video_model(settings, offline, client, shared_slots), "video", settings.chaos, shared_slots)
    return traced(model, "video", "animate")  # type: ignore[no-any-return]


def _video_model(
    settings: ProviderSettings, offline: Callable[[], VideoModel], client: ReplicateClient | None,
    shared_slots: SlotLease | None,
) -> VideoModel:
    if settings.video_provider == "offline":
        return offline()
    from admint.providers.replicate_video import ReplicateVideoModel

    registry = load_registry()
    name = _check(registry, settings.replicate_video_model, "video", "ADMINT_REPLICATE_VIDEO_MODEL")
    try:
        return ReplicateVideoModel(client or replicate_client(settings, shared_slots), model=name, registry=registry)
    except ValueError as exc:
        if isinstance(exc, ProviderConfigError):
            raise
        raise ProviderConfigError(f"ADMINT_REPLICATE_VIDEO_MODEL={name!r}: {exc}") from None


def build_music_model(
    settings: ProviderSettings,
    offline: Callable[[], MusicModel],
    client: ReplicateClient | None = None,
    shared_slots: SlotLease | None = None,
) -> MusicModel:
    """The configured music model, wrapped in the chaos knobs when ADMINT_CHAOS names it (and traced
    when tracing is on)."""
    model = apply_chaos(_music_model(settings, offline, client, shared_slots), "music", settings.chaos)
    return traced(model, "music", "compose")  # type: ignore[no-any-return]


def _music_model(
    settings: ProviderSettings, offline: Callable[[], MusicModel], client: ReplicateClient | None,
    shared_slots: SlotLease | None,
) -> MusicModel:
    if settings.music_provider == "offline":
        return offline()
    from admint.providers.replicate_music import ReplicateMusicModel

    registry = load_registry()
    name = _check(registry, settings.replicate_music_model, "music", "ADMINT_REPLICATE_MUSIC_MODEL")
    return ReplicateMusicModel(client or replicate_client(settings, shared_slots), model=name, registry=registry)
