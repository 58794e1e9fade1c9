"""The provider factory: offline by default, Replicate on request, clear startup errors when misconfigured."""

import pytest

from admint.chunker.offline_video import OfflineVideoModel
from admint.providers.factory import (
    ProviderConfigError,
    build_image_model,
    build_music_model,
    build_video_model,
)
from admint.providers.replicate_image import ReplicateImageModel
from admint.providers.replicate_music import ReplicateMusicModel
from admint.providers.replicate_video import ReplicateVideoModel
from admint.providers.settings import ProviderSettings
from admint.stitcher.offline_music import OfflineMusicModel
from admint.storyboard.offline_image import OfflineImageModel

pytestmark = pytest.mark.unit

REPLICATE = {"image_provider": "replicate", "video_provider": "replicate", "music_provider": "replicate"}


OFFLINE = {"image": OfflineImageModel, "video": lambda: OfflineVideoModel(chunk_duration_s=4.0),
           "music": OfflineMusicModel}


def settings(**overrides: object) -> ProviderSettings:
    return ProviderSettings(**{"replicate_api_token": None, **overrides})  # type: ignore[arg-type]


def build_image(s: ProviderSettings):  # type: ignore[no-untyped-def]
    return build_image_model(s, OFFLINE["image"])


def build_video(s: ProviderSettings):  # type: ignore[no-untyped-def]
    return build_video_model(s, OFFLINE["video"])


def build_music(s: ProviderSettings):  # type: ignore[no-untyped-def]
    return build_music_model(s, OFFLINE["music"])


def test_offline_models_by_default() -> None:
    s = settings()
    assert build_image(s).name == "offline-image"
    video = build_video(s)
    assert video.name == "offline-video" and video.chunk_duration_s == 4.0
    assert build_music(s).name == "offline-music"


@pytest.mark.parametrize("build", [build_image, build_video, build_music])
def test_replicate_without_token_is_a_clear_startup_error(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProviderConfigError, match="ADMINT_REPLICATE_API_TOKEN is not set"):
        build(settings(**REPLICATE))
    with pytest.raises(ProviderConfigError):
        build(settings(**REPLICATE, replicate_api_token="   "))


def test_replicate_models_from_settings_and_registry() -> None:
    s = settings(**REPLICATE, replicate_api_token="r8_x", replicate_base_url="https://proxy.example/v1",
                 replicate_timeout_s=120, replicate_video_model="hailuo")
    image = build_image(s)
    assert isinstance(image, ReplicateImageModel)
    assert image.text_model.name == "flux-schnell" and image.canny_model.name == "flux-canny"
    assert image.client.config.base_url == "https://proxy.example/v1"
    assert image.client.config.timeout_s == 120 and image.client.config.token == "r8_x"
    video = build_video(s)
    assert isinstance(video, ReplicateVideoModel) and video.name == "hailuo" and video.chunk_duration_s == 6.0
    music = build_music(s)
    assert isinstance(music, ReplicateMusicModel) and music.name == "musicgen"


def test_unknown_or_wrong_kind_model_names_are_refused() -> None:
    base = {**REPLICATE, "replicate_api_token": "r8_x"}
    with pytest.raises(ProviderConfigError, match=r"IMAGE_MODEL='flux-pro'.*not in the registry"):
        build_image(settings(**base, replicate_image_model="flux-pro"))
    with pytest.raises(ProviderConfigError, match=r"VIDEO_MODEL='flux-schnell'.*image model"):
        build_video(settings(**base, replicate_video_model="flux-schnell"))
    with pytest.raises(ProviderConfigError, match="offline"):
        build_music(settings(**base, replicate_music_model="offline-music"))
