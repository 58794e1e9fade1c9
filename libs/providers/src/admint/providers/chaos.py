"""Chaos knobs for providers: inject transient or permanent failures to prove the pipeline's recovery.

Off unless ADMINT_CHAOS is set (JSON), e.g. {"video": {"transient_rate": 0.5}} or
{"image": {"permanent_seed": 666, "permanent_beat": 1}}. The fault-injection suite runs the real services with it.
{"video": {"blur_seed": 5, "blur_beat": 1}} makes the video model return blurred clips for that seed and beat (a
quality defect rather than a failure: the quality gate's test re-renders them with a new seed).
"""

import asyncio
import dataclasses
import random
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.core.metrics import PROVIDER_CALLS


class ChaosRule(BaseModel):
    transient_rate: float = Field(default=0.0, ge=0, le=1, description="Share of calls that fail transiently.")
    transient_seeds: list[int] = Field(
        default_factory=list, description="Only requests with one of these seeds fail transiently (all when empty).")
    permanent_seed: int | None = Field(default=None, description="Requests with this seed fail for good…")
    permanent_beat: int | None = Field(default=None, description="…when they are for this beat (any beat if unset).")
    blur_seed: int | None = Field(default=None, description="Video requests with this seed come back blurred…")
    blur_beat: int | None = Field(default=None, description="…when they are for this beat (any beat if unset).")
    blur_sigma: float = Field(default=6.0, gt=0, le=50, description="Gaussian blur of those clips, in pixels.")


_METHODS = {"image": "render", "video": "animate", "music": "compose"}


class ChaosModel:
    """Wraps one model; delegates everything, failing the main call as the rule says."""

    def __init__(self, inner: Any, kind: str, rule: ChaosRule, rng: random.Random | None = None) -> None:
        self._inner = inner
        self._kind = kind
        self._rule = rule
        self._rng = rng or random.Random()
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
        result = await getattr(self._inner, _METHODS[self._kind])(request)
        if self._kind == "video" and rule.blur_seed is not None and getattr(request, "seed", None) == rule.blur_seed \
                and (rule.blur_beat is None or self._beat_of(request) == rule.blur_beat):
            PROVIDER_CALLS.labels(self._inner.name, "chaos_blurred").inc()
            return dataclasses.replace(result, path=await blur_clip(Path(result.path), rule.blur_sigma))
        return result


async def blur_clip(path: Path, sigma: float) -> Path:
    """The clip, Gaussian-blurred, beside it (lossless, like the offline model's intermediate)."""
    out = path.with_name(f"{path.stem}.blurred{path.suffix or '.mp4'}")
    process = await asyncio.create_subprocess_exec(
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(path), "-vf", f"gblur=sigma={sigma:g}",
        "-c:v", "libx264rgb", "-qp", "0", "-preset", "ultrafast", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"chaos blur failed: {err.decode(errors='replace')[-300:]}")
    return out


def apply_chaos(model: Any, kind: str, rules: dict[str, dict[str, Any]]) -> Any:
    """The model itself when no rule names its kind; a ChaosModel around it otherwise."""
    if kind not in rules:
        return model
    return ChaosModel(model, kind, ChaosRule.model_validate(rules[kind]))
