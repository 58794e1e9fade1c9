"""The provider factory: offline by default, Replicate on request, clear startup errors when misconfigured."""

import pytest

from admint.runtime.providers.factory import (
    ProviderConfigError,
    build_image_model,
    build_music_model,
    build_video_model,
)
from admint.runtime.providers.replicate_image import ReplicateImageModel
from admint.runtime.providers.replicate_music import ReplicateMusicModel
from admint.runtime.providers.replicate_video import ReplicateVideoModel
from admint.runtime.settings import RuntimeSettings

pytestmark = pytest.mark.unit

REPLICATE = {"image_provider": "replicate", "video_provider": "replicate", "music_provider": "replicate"}


def settings(**overrides: object) -> RuntimeSettings:
    return RuntimeSettings(**{"replicate_api_token": None, **overrides})  # type: ignore[arg-type]


def test_offline_models_by_default() -> None:
    s = settings(offline_chunk_duration_s=4.0)
    assert build_image_model(s).name == "offline-image"
    video = build_video_model(s)
    assert video.name == "offline-video" and video.chunk_duration_s == 4.0
    assert build_music_model(s).name == "offline-music"


@pytest.mark.parametrize("build", [build_image_model, build_video_model, build_music_model])
def test_replicate_without_token_is_a_clear_startup_error(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProviderConfigError, match="ADMINT_REPLICATE_API_TOKEN is not set"):
        build(settings(**REPLICATE))
    with pytest.raises(ProviderConfigError):
        build(settings(**REPLICATE, replicate_api_token="   "))


def test_replicate_models_from_settings_and_registry() -> None:
    s = settings(**REPLICATE, replicate_api_token="r8_x", replicate_base_url="https://proxy.example/v1",
                 replicate_timeout_s=120, replicate_video_model="hailuo")
    image = build_image_model(s)
    assert isinstance(image, ReplicateImageModel)
    assert image.text_model.name == "flux-schnell" and image.canny_model.name == "flux-canny"
    assert image.client.config.base_url == "https://proxy.example/v1"
    assert image.client.config.timeout_s == 120 and image.client.config.token == "r8_x"
    video = build_video_model(s)
    assert isinstance(video, ReplicateVideoModel) and video.name == "hailuo" and video.chunk_duration_s == 6.0
    music = build_music_model(s)
    assert isinstance(music, ReplicateMusicModel) and music.name == "musicgen"


def test_unknown_or_wrong_kind_model_names_are_refused() -> None:
    base = {**REPLICATE, "replicate_api_token": "r8_x"}
    with pytest.raises(ProviderConfigError, match=r"IMAGE_MODEL='flux-pro'.*not in the registry"):
        build_image_model(settings(**base, replicate_image_model="flux-pro"))
    with pytest.raises(ProviderConfigError, match=r"VIDEO_MODEL='flux-schnell'.*image model"):
        build_video_model(settings(**base, replicate_video_model="flux-schnell"))
    with pytest.raises(ProviderConfigError, match="offline"):
        build_music_model(settings(**base, replicate_music_model="offline-music"))
