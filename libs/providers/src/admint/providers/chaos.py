"""Chaos knobs for providers: inject transient or permanent failures to prove the pipeline's recovery, or the
latency of a remote model to measure how the pipeline scales.

Off unless ADMINT_CHAOS is set (JSON), e.g. {"video": {"transient_rate": 0.5}} or
{"image": {"permanent_seed": 666, "permanent_beat": 1}}. The fault-injection suite runs the real services with it.
{"video": {"latency_s": 2, "slots": 8}} makes every video call first wait 2 s without using CPU while holding one
of 8 cluster-wide slots, as a remote model's prediction does (bench/scaling.py).
{"video": {"blur_seed": 5, "blur_beat": 1}} makes the video model return blurred clips for that seed and beat (a
quality defect rather than a failure: the quality gate's test re-renders them with a new seed).
"""

import asyncio
import contextlib
import dataclasses
import random
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.core.metrics import PROVIDER_CALLS
from admint.providers.ports import SlotLease


class ChaosRule(BaseModel):
    transient_rate: float = Field(default=0.0, ge=0, le=1, description="Share of calls that fail transiently.")
    transient_seeds: list[int] = Field(
        default_factory=list, description="Only requests with one of these seeds fail transiently (all when empty).")
    permanent_seed: int | None = Field(default=None, description="Requests with this seed fail for good…")
    permanent_beat: int | None = Field(default=None, description="…when they are for this beat (any beat if unset).")
    latency_s: float = Field(default=0.0, ge=0, le=600,
                             description="Each call first waits this long without using CPU (a remote model).")
    slots: int | None = Field(default=None, ge=1,
                              description="While waiting, hold one of this many slots shared by every replica "
                                          "(the model registry's concurrency of a remote model).")
    blur_seed: int | None = Field(default=None, description="Video requests with this seed come back blurred…")
    blur_beat: int | None = Field(default=None, description="…when they are for this beat (any beat if unset).")
    blur_sigma: float = Field(default=6.0, gt=0, le=50, description="Gaussian blur of those clips, in pixels.")


_METHODS = {"image": "render", "video": "animate", "music": "compose"}


class ChaosModel:
    """Wraps one model; delegates everything, failing the main call as the rule says."""

    def __init__(self, inner: Any, kind: str, rule: ChaosRule, rng: random.Random | None = None,
                 shared_slots: SlotLease | None = None) -> None:
        self._inner = inner
        self._kind = kind
        self._rule = rule
        self._rng = rng or random.Random()
        self._shared_slots = shared_slots
        setattr(self, _METHODS[kind], self._call)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _beat_of(self, request: Any) -> int | None:
        beat = getattr(request, "beat", None)
        if beat is not None:
            return int(beat.index)
        index = getattr(request, "beat_index", None)
        return int(index) if index is not None else None

    async def _call(self, request: Any) -> Any:
        rule = self._rule
        if rule.permanent_seed is not None and getattr(request, "seed", None) == rule.permanent_seed and (
            rule.permanent_beat is None or self._beat_of(request) == rule.permanent_beat
        ):
            PROVIDER_CALLS.labels(self._inner.name, "chaos_permanent").inc()
            raise PermanentProviderError(
                f"{self._inner.name} refused beat {self._beat_of(request)}: content policy (injected fault)",
                detail="chaos: permanent failure for this seed and beat",
            )
        seed_chosen = not rule.transient_seeds or getattr(request, "seed", None) in rule.transient_seeds
        if seed_chosen and self._rng.random() < rule.transient_rate:
            PROVIDER_CALLS.labels(self._inner.name, "chaos_transient").inc()
            raise TransientProviderError(f"{self._inner.name} is overloaded (injected fault), try again later")
        if rule.latency_s:
            await self._wait_remotely()
        result = await getattr(self._inner, _METHODS[self._kind])(request)
        if self._kind == "video" and rule.blur_seed is not None and getattr(request, "seed", None) == rule.blur_seed \
                and (rule.blur_beat is None or self._beat_of(request) == rule.blur_beat):
            PROVIDER_CALLS.labels(self._inner.name, "chaos_blurred").inc()
            if getattr(result, "frames", None) is not None:  # streamed: blurred into a file, encoded from there
                out = Path(request.workdir) / f"{self._inner.name}-s{request.seed}.blurred.mkv"
                blurred = await blur_frames(result.frames, out, rule.blur_sigma)
                return dataclasses.replace(result, frames=None, path=blurred)
            return dataclasses.replace(result, path=await blur_clip(Path(result.path), rule.blur_sigma))
        return result

    async def _wait_remotely(self) -> None:
        slot: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
        if self._rule.slots and self._shared_slots is not None:
            slot = self._shared_slots(simulated_slot_name(self._inner.name), self._rule.slots)
        async with slot:
            PROVIDER_CALLS.labels(self._inner.name, "chaos_latency").inc()
            await asyncio.sleep(self._rule.latency_s)


def simulated_slot_name(model: str) -> str:
    """The shared slots a simulated remote model holds (provider_slots documents `<this>:<i>`)."""
    return f"simulated:{model}"


BLUR_ARGS = ("-c:v", "libx264rgb", "-qp", "0", "-preset", "ultrafast")
"""Lossless, like the offline model's intermediate."""


async def blur_clip(path: Path, sigma: float) -> Path:
    """The clip, Gaussian-blurred, beside it."""
    out = path.with_name(f"{path.stem}.blurred{path.suffix or '.mp4'}")
    process = await asyncio.create_subprocess_exec(
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(path), "-vf", f"gblur=sigma={sigma:g}", *BLUR_ARGS,
        str(out), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"chaos blur failed: {err.decode(errors='replace')[-300:]}")
    return out


async def blur_frames(frames: Any, out: Path, sigma: float) -> Path:
    """A streamed clip (`RawFrames`), rendered through a Gaussian blur into `out`."""
    def run() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo",
                 "-pix_fmt", getattr(frames, "pix_fmt", "bgr24"),
                 "-s", f"{frames.width}x{frames.height}", "-r", str(frames.fps), "-i", "pipe:0",
                 "-vf", f"gblur=sigma={sigma:g}", *BLUR_ARGS, str(out)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
            stdin = process.stdin
            assert stdin is not None
            try:
                frames.render(lambda frame: stdin.write(memoryview(frame)), threading.Event())
            finally:
                stdin.close()
                code = process.wait()
            if code != 0:
                errors.seek(0)
                raise RuntimeError(f"chaos blur failed: {errors.read().decode(errors='replace')[-300:]}")

    await asyncio.to_thread(run)
    return out


def apply_chaos(model: Any, kind: str, rules: dict[str, dict[str, Any]], shared_slots: SlotLease | None = None
                ) -> Any:
    """The model itself when no rule names its kind; a ChaosModel around it otherwise."""
    if kind not in rules:
        return model
    return ChaosModel(model, kind, ChaosRule.model_validate(rules[kind]), shared_slots=shared_slots)
