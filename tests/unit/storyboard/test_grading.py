"""The offline image model reads the colour-grade words feedback puts in a prompt, as a cloud model would."""

import numpy as np
import pytest

from admint.plans.steering import PALETTE_WORDS, with_terms
from admint.providers.ports import ImageRequest
from admint.storyboard.offline_image.model import render_frame
from tests.support import builders

pytestmark = pytest.mark.unit


def frame(*shifts: str) -> np.ndarray:
    plan = builders.plan(15)
    beat = plan.beats[0]
    beat = beat.model_copy(update={"prompt": with_terms(beat.prompt, [], list(shifts))})  # type: ignore[arg-type]
    request = ImageRequest(beat=beat, style=plan.style, size=builders.spec(long_side=320).size, seed=4)
    return render_frame(request).astype(np.float32)


def warmth(bgr: np.ndarray) -> float:
    return float((bgr[..., 2] - bgr[..., 0]).mean())


def test_grade_words_change_the_frame_the_way_they_say() -> None:
    plain = frame()
    assert warmth(frame("warmer")) > warmth(plain) + 10
    assert warmth(frame("cooler")) < warmth(plain) - 5
    assert frame("darker").mean() < plain.mean() - 5 and frame("brighter").mean() > plain.mean() + 5
    assert np.array_equal(frame(), plain)  # deterministic, and no words: no grade
    assert set(PALETTE_WORDS) == {"warmer", "cooler", "brighter", "darker", "more_saturated", "less_saturated"}
