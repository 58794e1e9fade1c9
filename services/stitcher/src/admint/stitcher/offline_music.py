"""The offline music model: a synthesized bed whose harmony, tempo and density follow the plan's MusicSpec.

Pad chords (major or minor progression chosen by mood), a bass line on the beat, soft percussion at tempo_bpm and,
for lively moods, a plucked arpeggio. numpy wavetables, no network, deterministic per seed, written as a 48 kHz
stereo WAV with the standard library. A 30 s bed takes well under a second.
"""

import asyncio
import hashlib
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from admint.contracts.plan import MusicSpec
from admint.providers.ports import MusicRequest, MusicResult
from admint.providers.registry import load_registry

RATE = 48_000
TABLE = 2048

MINOR_MOODS = frozenset({
    "dramatic", "dark", "mysterious", "serious", "melancholic", "sad", "tense", "moody", "intense", "epic",
    "emotional", "cinematic", "suspenseful", "urgent", "edgy",
})
CALM_MOODS = frozenset({
    "calm", "relaxed", "serene", "soft", "gentle", "peaceful", "dreamy", "soothing", "elegant", "luxurious",
    "premium", "luxury", "minimal", "warm", "cozy", "natural", "organic",
})
LIVELY_MOODS = frozenset({
    "energetic", "upbeat", "playful", "fun", "happy", "exciting", "bold", "dynamic", "sporty", "powerful",
    "uplifting", "joyful", "optimistic", "confident", "fresh", "bright", "inspiring", "hopeful", "driving",
    "electronic",
})

# (root offset in semitones, chord intervals)
MAJOR, MINOR, MAJ7, MIN7 = (0, 4, 7), (0, 3, 7), (0, 4, 7, 11), (0, 3, 7, 10)
PROGRESSIONS = {
    "major": ((0, MAJOR), (7, MAJOR), (9, MINOR), (5, MAJOR)),  # I–V–vi–IV
    "minor": ((0, MINOR), (8, MAJOR), (3, MAJOR), (10, MAJOR)),  # i–VI–III–VII
    "calm": ((0, MAJ7), (5, MAJ7), (9, MIN7), (5, MAJ7)),  # Imaj7–IVmaj7–vi7–IVmaj7
}


@dataclass(frozen=True)
class Arrangement:
    """What the mood decides: harmony, and how busy the rhythm section is (0 = pad only, 1 = full kit)."""

    progression: str
    energy: float
    arpeggio: bool


def arrangement_for(music: MusicSpec) -> Arrangement:
    words = set(music.mood.lower().replace(",", " ").replace("-", " ").split())
    if words & MINOR_MOODS:
        return Arrangement("minor", 0.75, arpeggio=bool(words & LIVELY_MOODS) or music.tempo_bpm >= 110)
    if words & LIVELY_MOODS:
        return Arrangement("major", 0.9, arpeggio=True)
    if words & CALM_MOODS:
        return Arrangement("calm", 0.25, arpeggio=False)
    return Arrangement("major", 0.5, arpeggio=music.tempo_bpm >= 100)


def _hz(midi: float) -> float:
    return float(440.0 * 2 ** ((midi - 69) / 12))


def _table(harmonics: int, rolloff: float) -> np.ndarray:
    """One cycle of a band-limited soft saw (harmonic amplitudes 1/h^rolloff)."""
    phase = np.arange(TABLE) / TABLE
    wave_ = sum(np.sin(2 * np.pi * h * phase) / h**rolloff for h in range(1, harmonics + 1))
    return (wave_ / np.abs(wave_).max()).astype(np.float32)


def _osc(table: np.ndarray, hz: float, n: int, phase0: float = 0.0) -> np.ndarray:
    idx = ((phase0 + hz * np.arange(n) / RATE) * TABLE).astype(np.int64) % TABLE
    return table[idx]


def _add(buf: np.ndarray, start: int, sig: np.ndarray) -> None:
    end = min(buf.shape[-1], start + sig.shape[-1])
    if end > start:
        buf[..., start:end] += sig[..., : end - start]


class Synth:
    """Renders one bed; every random choice comes from the seeded generator."""

    def __init__(self, music: MusicSpec, duration_s: float, seed: int) -> None:
        digest = hashlib.sha256(f"{seed}:{music.mood}:{music.tempo_bpm}".encode()).digest()
        self.rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        self.music = music
        self.arr = arrangement_for(music)
        self.n = int(np.ceil(duration_s * RATE))
        self.beat = 60.0 / music.tempo_bpm
        self.root = 45 + int(self.rng.integers(0, 8))  # A2..E3: the key, varied by seed
        self.out = np.zeros((2, self.n), np.float32)

    def chords(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """(start sample, length, MIDI notes) per chord; one chord a bar (two bars when slow)."""
        bars_per_chord = 2 if self.music.tempo_bpm < 80 else 1
        length = round(4 * bars_per_chord * self.beat * RATE)
        prog = PROGRESSIONS[self.arr.progression]
        out = []
        for i, start in enumerate(range(0, self.n, length)):
            offset, shape = prog[i % len(prog)]
            base = self.root + 12 + offset
            out.append((start, length, tuple(base + s for s in shape)))
        return out

    def pad(self) -> None:
        table = _table(6, 1.4)
        attack, release = int(0.35 * RATE), int(0.45 * RATE)
        for start, length, notes in self.chords():
            n = length + release
            env = np.ones(n, np.float32)
            env[:attack] = np.linspace(0, 1, attack)
            env[length:] = np.linspace(1, 0, release)
            for note in notes:
                for ch, detune in enumerate((0.9985, 1.0015)):
                    sig = _osc(table, _hz(note + 12) * detune, n, float(self.rng.random()))
                    _add(self.out[ch], start, 0.09 * env * sig)

    def bass(self) -> None:
        table = _table(3, 2.0)
        step = round(self.beat * RATE) * (2 if self.arr.energy < 0.4 else 1)
        for start, length, notes in self.chords():
            for k, t in enumerate(range(start, start + length, step)):
                note = notes[0] - 12 + (7 if k % 4 == 2 and self.arr.energy > 0.6 else 0)
                n = step
                env = np.exp(-np.arange(n) / (0.45 * n)).astype(np.float32)
                env[: int(0.006 * RATE)] *= np.linspace(0, 1, int(0.006 * RATE))
                sig = 0.22 * env * _osc(table, _hz(note), n)
                _add(self.out, t, np.stack([sig, sig]))

    def drums(self) -> None:
        e = self.arr.energy
        beat = round(self.beat * RATE)
        t = np.arange(int(0.25 * RATE)) / RATE
        kick = (np.sin(2 * np.pi * (45 * t + 60 * (1 - np.exp(-t * 30)) / 30)) * np.exp(-t * 14)).astype(np.float32)
        hat_n = int(0.05 * RATE)
        for k, start in enumerate(range(0, self.n, beat)):
            if e >= 0.4 and (e >= 0.8 or k % 2 == 0):
                _add(self.out, start, np.stack([kick, kick]) * 0.35 * e)
            if e >= 0.6 and k % 4 in (1, 3):
                noise = self.rng.standard_normal(int(0.18 * RATE)).astype(np.float32)
                snare = np.diff(noise, prepend=0) * np.exp(-np.arange(noise.size) / (0.04 * RATE))
                _add(self.out, start, np.stack([snare, snare]) * 0.05 * e)
            for half in (0, beat // 2):
                noise = self.rng.standard_normal(hat_n).astype(np.float32)
                hat = np.diff(np.diff(noise, prepend=0), prepend=0) * np.exp(-np.arange(hat_n) / (0.008 * RATE))
                pan = 0.8 if half else 1.0
                _add(self.out, start + half, np.stack([hat * pan, hat * (1.8 - pan)]) * (0.008 + 0.02 * e))

    def arpeggio(self) -> None:
        table = _table(4, 1.0)
        step = round(self.beat * RATE / 2)
        pattern = [0, 1, 2, 1] if self.rng.random() < 0.5 else [0, 2, 1, 2]
        for start, length, notes in self.chords():
            for k, t in enumerate(range(start, start + length, step)):
                note = notes[pattern[k % len(pattern)] % len(notes)] + 24
                env = np.exp(-np.arange(step) / (0.12 * RATE)).astype(np.float32)
                sig = 0.05 * env * _osc(table, _hz(note), step)
                pan = 0.35 if k % 2 else -0.35
                _add(self.out, t, np.stack([sig * (1 - pan), sig * (1 + pan)]))

    def render(self) -> np.ndarray:
        self.pad()
        self.bass()
        if self.arr.energy >= 0.2:
            self.drums()
        if self.arr.arpeggio:
            self.arpeggio()
        mix = np.tanh(self.out * 1.2)
        peak = float(np.abs(mix).max()) or 1.0
        mix *= 0.89 / peak  # -1 dBFS
        edge = min(int(0.02 * RATE), self.n // 2)
        ramp = np.linspace(0, 1, edge, dtype=np.float32)
        mix[:, :edge] *= ramp
        mix[:, self.n - edge :] *= ramp[::-1]
        return mix


def synthesize(music: MusicSpec, duration_s: float, seed: int) -> np.ndarray:
    """Stereo float32 samples in [-1, 1], shape (2, ceil(duration_s * 48000))."""
    if duration_s <= 0:
        raise ValueError("duration must be positive")
    return Synth(music, duration_s, seed).render()


def write_wav(samples: np.ndarray, path: Path) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").T.copy()
    with path.open("wb") as fh, wave.open(fh, "wb") as out:
        out.setnchannels(samples.shape[0])
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


class OfflineMusicModel:
    """MusicModel port: deterministic synthesized bed, priced by the registry (free unless a test prices it)."""

    name = "offline-music"

    def __init__(self) -> None:
        self.price_usd = load_registry().get(self.name).price()

    async def compose(self, request: MusicRequest) -> MusicResult:
        request.workdir.mkdir(parents=True, exist_ok=True)
        path = request.workdir / f"music-{request.seed}-{request.music.tempo_bpm}.wav"

        def work() -> Path:
            return write_wav(synthesize(request.music, request.duration_s, request.seed), path)

        await asyncio.to_thread(work)
        mood = arrangement_for(request.music)
        return MusicResult(
            model=self.name, cost_usd=self.price_usd, path=path,
            notes={"progression": mood.progression, "tempo_bpm": str(request.music.tempo_bpm)},
        )
