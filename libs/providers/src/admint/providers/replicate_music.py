"""The ad's music bed from Replicate's MusicGen, described by the plan's mood and tempo.

MusicGen takes a whole-second duration; we ask for one second more than the ad so the stitcher always has
enough to fade out on. Instrumental only: a voice would fight the captions.
"""

import asyncio
import contextlib
import hashlib
import io
import math
import wave

from admint.core.errors import PermanentProviderError
from admint.providers.ports import MusicRequest, MusicResult
from admint.providers.registry import ModelInfo, ModelRegistry, load_registry
from admint.providers.replicate import ReplicateClient, output_suffix, write_atomic

MOOD_INSTRUMENTS = {
    "calm": "soft piano, warm pads and light ambient textures",
    "uplifting": "bright acoustic guitar, claps, light percussion and warm synths",
    "energetic": "punchy drums, driving bass and bright synth leads",
    "dramatic": "cinematic strings, deep percussion and brass swells",
    "playful": "pizzicato strings, ukulele, glockenspiel and whistles",
    "luxury": "smooth electric piano, subtle strings and soft brushed drums",
    "premium": "smooth electric piano, subtle strings and soft brushed drums",
    "confident": "modern pop drums, deep bass and confident synth chords",
    "elegant": "smooth electric piano, subtle strings and soft brushed drums",
    "warm": "acoustic guitar, warm piano and soft percussion",
    "driving": "four-on-the-floor drums, pulsing bass and bright synths",
    "hopeful": "gentle piano arpeggios, rising strings and soft percussion",
    "organic": "acoustic guitar, hand percussion and light marimba",
    "electronic": "crisp electronic drums, arpeggiated synths and deep sub bass",
}
"""Instrumentation per mood word (the planner's lexicon moods included); others get DEFAULT_INSTRUMENTS."""
DEFAULT_INSTRUMENTS = "modern production with piano, bass and light drums"
MUSICGEN_MODEL_VERSION = "stereo-large"


def tempo_word(bpm: int) -> str:
    return "slow" if bpm < 80 else "moderate" if bpm < 110 else "upbeat" if bpm < 135 else "fast"


def music_prompt(request: MusicRequest) -> str:
    mood, bpm = request.music.mood.strip().lower(), request.music.tempo_bpm
    instruments = MOOD_INSTRUMENTS.get(mood, DEFAULT_INSTRUMENTS)
    return (
        f"{mood} instrumental background music for a video advertisement, {tempo_word(bpm)} {bpm} bpm, "
        f"{instruments}, steady rhythm, clean modern mix, no vocals"
    )


def wav_seconds(data: bytes) -> float | None:
    """Length of a WAV file, or None when it is not one (e.g. mp3) or its header is unreadable."""
    with contextlib.suppress(wave.Error, EOFError), wave.open(io.BytesIO(data)) as wav:
        return wav.getnframes() / float(wav.getframerate() or 1)
    return None


class ReplicateMusicModel:
    """MusicModel port on a Replicate MusicGen model named in the registry."""

    def __init__(self, client: ReplicateClient, *, model: str = "musicgen",
                 registry: ModelRegistry | None = None) -> None:
        info = (registry or load_registry()).get(model)
        if info.kind != "music" or info.provider != "replicate" or not info.ref:
            raise ValueError(f"model {model!r} is not a Replicate music model in the registry")
        self.client = client
        self.info: ModelInfo = info
        self.name = info.name

    async def compose(self, request: MusicRequest) -> MusicResult:
        seconds = math.ceil(request.duration_s) + 1
        inputs = {
            "prompt": music_prompt(request),
            "model_version": MUSICGEN_MODEL_VERSION,
            "duration": seconds,
            "output_format": "wav",
            "normalization_strategy": "loudness",
            "seed": request.seed % (2**31 - 1) + 1,  # MusicGen takes seed 0 as "random"
        }
        prediction = await self.client.run(self.info, inputs)
        audio = (await self.client.download(prediction.output))[0]
        got = wav_seconds(audio)
        if got is not None and got + 0.05 < request.duration_s:
            raise PermanentProviderError(
                f"{self.name} returned {got:.1f}s of music, the ad needs {request.duration_s:g}s"
            )
        key = hashlib.sha256(f"{inputs['prompt']}|{seconds}|{request.seed}".encode()).hexdigest()[:16]
        path = request.workdir / f"{self.name}-{key}{output_suffix(prediction.output, '.wav')}"
        await asyncio.to_thread(write_atomic, path, audio)
        return MusicResult(model=self.name, cost_usd=self.info.price(seconds), path=path,
                           notes={**prediction.notes(), "requested_seconds": str(seconds)})
