"""Chaos knobs: injected failures are classified exactly as real provider failures are."""

import random
from dataclasses import dataclass

import pytest

from admint.chunker.offline_video import OfflineVideoModel
from admint.core.errors import PermanentProviderError, TransientProviderError
from admint.providers.chaos import ChaosModel, ChaosRule, apply_chaos
from admint.providers.factory import build_video_model
from admint.providers.settings import ProviderSettings

pytestmark = pytest.mark.unit


@dataclass
class Beat:
    index: int


@dataclass
class Request:
    seed: int
    beat: Beat


class Model:
    name = "fake-image"
    chunk_duration_s = 5.0

    async def render(self, request: Request) -> str:
        return f"ok {request.beat.index}"


async def test_transient_rate_fails_about_that_share_and_delegates_the_rest() -> None:
    model = ChaosModel(Model(), "image", ChaosRule(transient_rate=0.5), rng=random.Random(1))
    outcomes = []
    for _ in range(200):
        try:
            outcomes.append(await model.render(Request(1, Beat(0))))
        except TransientProviderError:
            outcomes.append("transient")
    share = outcomes.count("transient") / len(outcomes)
    assert 0.4 < share < 0.6
    assert set(outcomes) == {"transient", "ok 0"}
    assert model.name == "fake-image"


async def test_permanent_failure_hits_only_the_named_seed_and_beat() -> None:
    model = apply_chaos(Model(), "image", {"image": {"permanent_seed": 666, "permanent_beat": 1}})
    assert await model.render(Request(666, Beat(0))) == "ok 0"
    assert await model.render(Request(7, Beat(1))) == "ok 1"
    with pytest.raises(PermanentProviderError, match="refused beat 1"):
        await model.render(Request(666, Beat(1)))


def test_no_rule_means_the_model_itself() -> None:
    plain = Model()
    assert apply_chaos(plain, "image", {"video": {"transient_rate": 1}}) is plain


def test_factory_reads_chaos_from_settings() -> None:
    settings = ProviderSettings(chaos={"video": {"transient_rate": 1.0}})
    model = build_video_model(settings, OfflineVideoModel)
    assert isinstance(model, ChaosModel) and model.chunk_duration_s == 5.0


async def test_transient_faults_can_target_chosen_seeds() -> None:
    model = apply_chaos(Model(), "image", {"image": {"transient_rate": 1.0, "transient_seeds": [7]}})
    with pytest.raises(TransientProviderError):
        await model.render(Request(seed=7, beat=Beat(0)))
    assert await model.render(Request(seed=8, beat=Beat(2))) == "ok 2"
