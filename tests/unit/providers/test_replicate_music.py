"""ReplicateMusicModel: MusicGen request from mood/tempo, audio file written, length checked."""

from pathlib import Path

import pytest

from admint.contracts.plan import MusicSpec
from admint.core.errors import PermanentProviderError
from admint.providers.ports import MusicRequest
from admint.providers.replicate_music import ReplicateMusicModel, music_prompt
from tests.unit.providers.replicate_fake import CREATE, FakeClock, FakeReplicate, body, recording, wav

pytestmark = pytest.mark.unit

OUT = recording("musicgen.succeeded")["output"]


def request(workdir: Path, duration: float = 15.0, mood: str = "uplifting", bpm: int = 120) -> MusicRequest:
    spec = MusicSpec(mood=mood, tempo_bpm=bpm)
    return MusicRequest(music=spec, duration_s=duration, seed=1234, workdir=workdir)


async def test_musicgen_request_file_and_cost(tmp_path: Path) -> None:
    fake = FakeReplicate("musicgen.succeeded", polls=2, files={OUT: wav(16)})
    result = await ReplicateMusicModel(fake.client(FakeClock())).compose(request(tmp_path))

    (create,) = fake.calls("POST", CREATE)
    assert create.url.path == "/v1/predictions"
    sent = body(create)
    assert sent["version"] == "671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb"
    inputs = sent["input"]
    assert inputs["duration"] == 16 and inputs["output_format"] == "wav"
    assert inputs["model_version"] == "stereo-large" and inputs["seed"] == 1235
    for words in ("uplifting", "upbeat 120 bpm", "no vocals"):
        assert words in inputs["prompt"]

    assert result.path.parent == tmp_path and result.path.suffix == ".wav"
    assert result.path.read_bytes() == wav(16)
    assert result.model == "musicgen" and result.cost_usd == pytest.approx(0.06)
    assert result.notes["requested_seconds"] == "16"


async def test_fractional_durations_round_up(tmp_path: Path) -> None:
    fake = FakeReplicate("musicgen.succeeded", polls=0, files={OUT: wav(32)})
    await ReplicateMusicModel(fake.client(FakeClock())).compose(request(tmp_path, duration=30.2))
    assert body(fake.calls("POST", CREATE)[0])["input"]["duration"] == 32


async def test_too_short_audio_is_permanent(tmp_path: Path) -> None:
    fake = FakeReplicate("musicgen.succeeded", polls=0, files={OUT: wav(8)})
    with pytest.raises(PermanentProviderError, match=r"8\.0s of music, the ad needs 15s"):
        await ReplicateMusicModel(fake.client(FakeClock())).compose(request(tmp_path))


def test_prompt_follows_mood_and_tempo(tmp_path: Path) -> None:
    calm = music_prompt(request(tmp_path, mood="Calm", bpm=70))
    assert calm.startswith("calm instrumental") and "slow 70 bpm" in calm and "piano" in calm
    unknown = music_prompt(request(tmp_path, mood="mysterious", bpm=140))
    assert "mysterious" in unknown and "fast 140 bpm" in unknown
