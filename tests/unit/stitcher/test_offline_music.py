"""Offline music model: deterministic, the requested length, harmony by mood, pulse at the tempo."""

from pathlib import Path

import numpy as np
import pytest

from admint.contracts.plan import MusicSpec
from admint.media.probe import probe
from admint.providers.ports import MusicRequest
from admint.stitcher.offline_music import (
    RATE,
    OfflineMusicModel,
    Synth,
    arrangement_for,
    synthesize,
)

pytestmark = pytest.mark.unit


def test_moods_choose_harmony_and_density() -> None:
    assert arrangement_for(MusicSpec(mood="dramatic", tempo_bpm=90)).progression == "minor"
    assert arrangement_for(MusicSpec(mood="energetic", tempo_bpm=128)).progression == "major"
    calm = arrangement_for(MusicSpec(mood="calm", tempo_bpm=70))
    assert calm.progression == "calm" and calm.energy < 0.4 and not calm.arpeggio
    assert arrangement_for(MusicSpec(mood="Warm, premium", tempo_bpm=90)).progression == "calm"
    assert arrangement_for(MusicSpec(mood="whatever", tempo_bpm=90)).progression == "major"


def test_deterministic_per_seed_and_different_across_seeds() -> None:
    spec = MusicSpec(mood="uplifting", tempo_bpm=110)
    a, b, c = synthesize(spec, 4.0, 1), synthesize(spec, 4.0, 1), synthesize(spec, 4.0, 2)
    assert a.shape == (2, 4 * RATE) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 0.5 < np.abs(a).max() <= 0.9  # normalised to -1 dBFS, not clipped
    assert a[:, :10].std() < 0.01 and a[:, -10:].std() < 0.01  # no click at either end


def pitch_energy(signal: np.ndarray, midi: float) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(signal.size)))
    freqs = np.fft.rfftfreq(signal.size, 1 / RATE)
    total = 0.0
    for octave in (0, 12, 24):
        f = 440 * 2 ** ((midi + octave - 69) / 12)
        total += float(spectrum[(freqs > f * 0.985) & (freqs < f * 1.015)].sum())
    return total


@pytest.mark.parametrize(("mood", "third"), [("uplifting", 4), ("dramatic", 3)])
def test_the_first_chord_is_major_or_minor_as_the_mood_asks(mood: str, third: int) -> None:
    spec = MusicSpec(mood=mood, tempo_bpm=100)
    synth = Synth(spec, 2.0, seed=5)
    mono = synthesize(spec, 2.0, 5).mean(axis=0)[int(0.5 * RATE) : int(2.0 * RATE)]
    root = synth.root + 12
    assert pitch_energy(mono, root + third) > 2 * pitch_energy(mono, root + 7 - third)


@pytest.mark.parametrize("bpm", [90, 128])
def test_the_pulse_follows_the_tempo(bpm: int) -> None:
    audio = synthesize(MusicSpec(mood="energetic", tempo_bpm=bpm), 8.0, 3).mean(axis=0)
    hop = RATE // 200  # 5 ms envelope
    env = np.abs(audio[: audio.size // hop * hop]).reshape(-1, hop).mean(axis=1)
    onset = np.maximum(np.diff(env), 0)
    onset -= onset.mean()
    ac = np.correlate(onset, onset, mode="full")[onset.size - 1 :]
    lags = np.arange(ac.size) * hop / RATE
    window = (lags > 0.3) & (lags < 1.0)
    period = lags[window][np.argmax(ac[window])]
    beat = 60 / bpm
    assert min(abs(period - beat), abs(period - beat / 2), abs(period - 2 * beat)) < 0.02


async def test_model_writes_a_48k_stereo_wav_at_least_as_long_as_asked(tmp_path: Path) -> None:
    result = await OfflineMusicModel().compose(
        MusicRequest(music=MusicSpec(mood="calm", tempo_bpm=72), duration_s=3.5, seed=9, workdir=tmp_path)
    )
    assert result.model == "offline-music" and result.cost_usd == 0.0
    info = await probe(result.path)
    assert info.has_audio and info.audio_rate == 48000 and info.duration_s >= 3.5
