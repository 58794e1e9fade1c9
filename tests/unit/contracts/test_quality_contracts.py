"""Quality contracts: the scored event's verdict and de-duplication, chunk takes, platform sizes."""

import pytest

from admint.contracts.common import platform_long_side, platform_size
from admint.contracts.quality import QualityScored
from tests.support.builders import GID, every_event, quality_scores, ref

pytestmark = pytest.mark.unit


def scored(**extra: object) -> QualityScored:
    fields: dict[str, object] = {"generation_id": GID, "producer": "scorer", "kind": "chunk", "item": "1-0",
                                 "video": ref("generations/x/chunks/1-0.mp4"), "scores": quality_scores(70.0)}
    return QualityScored(**{**fields, **extra})  # type: ignore[arg-type]


def test_a_score_passes_at_or_above_the_threshold_and_always_without_one() -> None:
    assert scored(threshold=70.0).passed and not scored(threshold=70.5).passed
    assert scored().passed  # no gate
    assert scored(scores=None, error="no video frames", threshold=99).passed  # unmeasurable never fails an ad


def test_every_take_and_every_video_has_its_own_dedup_id() -> None:
    ids = {scored(take=0).msg_id, scored(take=1).msg_id, scored(item="master", kind="master").msg_id,
           scored(kind="rendition", item="1x1").msg_id}
    assert len(ids) == 4
    assert scored(take=0).msg_id == scored(take=0, scores=quality_scores(10.0)).msg_id  # same video, same id


def test_a_first_take_keeps_the_chunk_events_dedup_ids_of_before() -> None:
    requested = next(e for e in every_event() if e.type == "chunk.requested.v1")
    assert requested.msg_id == f"{GID}:chunk.requested.v1:0:0"
    assert requested.model_copy(update={"take": 2}).msg_id == f"{GID}:chunk.requested.v1:0:0:2"


@pytest.mark.parametrize("long_side", [1920, 1280, 320, 240])
def test_one_size_per_aspect_and_the_scale_is_recovered_from_any_of_them(long_side: int) -> None:
    tall, square, wide = (platform_size(a, long_side) for a in ("9:16", "1:1", "16:9"))
    assert square.width == square.height == tall.width == wide.height
    assert tall.height == wide.width == long_side
    assert {platform_long_side(s) for s in (tall, square, wide)} == {long_side}
