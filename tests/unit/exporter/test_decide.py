"""What an export makes, decided without media: rendition order, poster candidates, verdicts."""

from datetime import UTC, datetime

import numpy as np
import pytest

from admint.contracts.common import FrameSize
from admint.contracts.export import SpecCheck
from admint.contracts.generation import GenerationSpec
from admint.exporter.decide import (
    aspects_of,
    check_target,
    exports_section,
    first_beat_s,
    plan_renditions,
    poster_times,
    rendition,
    spec_failure,
)
from admint.exporter.renditions import Policy
from tests.support import builders

pytestmark = pytest.mark.unit
SIZE = FrameSize(width=1080, height=1920)


def spec(**kw: object) -> GenerationSpec:
    return GenerationSpec(brief="b", duration_s=15, size=SIZE, **kw)  # type: ignore[arg-type]


def test_the_masters_aspect_comes_first_and_every_aspect_once() -> None:
    assert aspects_of(spec(renditions=["1:1", "9:16", "16:9", "1:1"])) == ["9:16", "1:1", "16:9"]
    plans = plan_renditions(spec(renditions=["16:9", "9:16"]), np.ones((170, 96)), Policy())
    assert [(p.aspect, p.method) for p in plans] == [("9:16", "master"), ("16:9", "pad")]
    assert plans[0].size == SIZE


def test_poster_candidates_sit_around_the_middle_of_the_first_beat_inside_the_ad() -> None:
    assert first_beat_s(builders.plan(15), 15.0) == 5
    assert first_beat_s(None, 15.0) == 5.0 and first_beat_s(None, 3.0) == 3.0
    assert poster_times(5, 15.0) == [1.9, 2.5, 3.1]
    assert poster_times(1, 1.0) == [0.0, 0.5, 0.9]  # never before the start, never past the last frame


def test_a_rendition_is_checked_against_its_size_and_the_requested_length() -> None:
    (plan,) = plan_renditions(spec(), None, Policy())
    t = check_target(spec(), plan, False, 2)
    assert (t.aspect, t.width, t.height, t.fps, t.duration_s, t.audio, t.frame_tolerance) == (
        "9:16", 1080, 1920, 30, 15.0, False, 2)


def test_the_exports_section_records_checks_verdict_and_crops() -> None:
    plans = plan_renditions(spec(renditions=["1:1"]), None, Policy("crop"))
    good = SpecCheck(passed=True)
    bad = SpecCheck(passed=False, problems=["fps 25", "no faststart"])
    when = datetime(2026, 1, 1, tzinfo=UTC)
    renditions = [rendition(p, builders.ref(f"{p.aspect}.mp4"), "http://x", when, check)
                  for p, check in zip(plans, [good, bad], strict=True)]
    section = exports_section(renditions, plans, builders.ref("p.jpg"), builders.ref("t.jpg"))
    assert section.passed is False and section.spec_checks == {"9x16": good, "1x1": bad}
    assert set(section.crops) == {"1x1"} and section.crops["1x1"].area_kept == pytest.approx(0.5625)
    failure = spec_failure(section.renditions)
    assert failure is not None and failure.reason == "rendition 1:1 failed the spec check: fps 25"
    assert failure.detail == "1:1: fps 25, no faststart"
    assert spec_failure(renditions[:1]) is None
