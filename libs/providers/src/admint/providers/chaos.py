"""Chaos knobs for providers: inject transient or permanent failures to prove the pipeline's recovery, or the
latency of a remote model to measure how the pipeline scales.

Off unless ADMINT_CHAOS is set (JSON), e.g. {"video": {"transient_rate": 0.5}} or
{"image": {"permanent_seed": 666, "permanent_beat": 1}}. The fault-injection suite runs the real services with it.
{"video": {"latency_s": 2, "slots": 8}} makes every video call first wait 2 s without using CPU while holding one
of 8 cluster-wide slots, as a remote model's prediction does (bench/scaling.py).
"""

import asyncio
import contextlib
import random
from typing import Any

from pydantic import BaseModel, Field

from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.core.metrics import PROVIDER_CALLS
from admint.providers.ports import SlotLease


class ChaosRule(BaseModel):
    transient_rate: float = Field(default=0.0, ge=0, le=1, description="Share of calls that fail transiently.")
    permanent_seed: int | None = Field(default=None, description="Requests with this seed fail for good…")
    permanent_beat: int | None = Field(default=None, description="…when they are for this beat (any beat if unset).")
    latency_s: float = Field(default=0.0, ge=0, le=600,
                             description="Each call first waits this long without using CPU (a remote model).")
    slots: int | None = Field(default=None, ge=1,
                              description="While waiting, hold one of this many slots shared by every replica "
                                          "(the model registry's concurrency of a remote model).")


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
        if self._rng.random() < rule.transient_rate:
            PROVIDER_CALLS.labels(self._inner.name, "chaos_transient").inc()
            raise TransientProviderError(f"{self._inner.name} is overloaded (injected fault), try again later")
        if rule.latency_s:
            await self._wait_remotely()
        return await getattr(self._inner, _METHODS[self._kind])(request)

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


def apply_chaos(model: Any, kind: str, rules: dict[str, dict[str, Any]], shared_slots: SlotLease | None = None
                ) -> Any:
    """The model itself when no rule names its kind; a ChaosModel around it otherwise."""
    if kind not in rules:
        return model
    return ChaosModel(model, kind, ChaosRule.model_validate(rules[kind]), shared_slots=shared_slots)
