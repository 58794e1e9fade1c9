"""Pure gateway logic: request → spec, cursors, views, rendition lookup, SSE framing, validation errors."""

from typing import Any

import pytest
from pydantic import ValidationError

from admint.contracts.artifacts import ArtifactRef
from admint.gateway.downloads import find_rendition_key, normalize_aspect
from admint.gateway.pagination import BadCursor, decode_cursor, encode_cursor
from admint.gateway.problems import validation_errors
from admint.gateway.schemas import GenerationCreate
from admint.gateway.specs import build_spec, extra_renditions, request_hash
from admint.gateway.sse import format_event
from admint.gateway.views import cost_summary, current_stage, generation_view

pytestmark = pytest.mark.unit
REF: dict[str, Any] = {"bucket": "admint", "key": "generations/G1/storyboard/0.png", "sha256": "a" * 64, "size": 3,
       "content_type": "image/png"}


def test_spec_resolves_size_renditions_and_transition() -> None:
    body = GenerationCreate(brief="  An ad  ", aspect="16:9", renditions=["9:16", "9:16", "1:1"],
                            transition={"kind": "cut", "duration_s": 1.0}, seed=5)
    spec = build_spec(body, long_side=320, fps=30)
    assert (spec.size.width, spec.size.height) == (320, 180)
    assert spec.renditions == ["9:16", "1:1"]
    assert (spec.transition.kind, spec.transition.duration_s) == ("cut", 0)
    assert spec.brief == "An ad" and spec.seed == 5 and spec.fps == 30
    default = build_spec(GenerationCreate(brief="x"), long_side=1920, fps=30)
    assert (default.size.width, default.size.height) == (1080, 1920)
    assert default.transition.kind == "crossfade" and default.duration_s == 30


def test_seed_is_random_when_omitted_and_explicit_wins() -> None:
    seeds = {build_spec(GenerationCreate(brief="x"), long_side=320, fps=30).seed for _ in range(5)}
    assert len(seeds) > 1
    assert build_spec(GenerationCreate(brief="x", seed=9), long_side=320, fps=30, seed=1).seed == 9


def test_product_asset_is_carried_into_the_spec() -> None:
    ref = ArtifactRef(**REF)
    spec = build_spec(GenerationCreate(brief="x", product_asset_id="A1"), long_side=320, fps=30, product_asset=ref)
    assert spec.product_asset == ref and spec.product_asset_id == "A1"


def test_request_hash_ignores_spelling_but_not_meaning() -> None:
    a = GenerationCreate.model_validate_json('{"brief": "x", "seed": 1}')
    b = GenerationCreate.model_validate_json('{"seed": 1, "duration_s": 30, "brief": "x"}')
    c = GenerationCreate.model_validate_json('{"brief": "x", "seed": 2}')
    assert request_hash(a) == request_hash(b) != request_hash(c)


@pytest.mark.parametrize("bad", [
    {"brief": ""}, {"brief": " \t"}, {"brief": "a\x00b"}, {"brief": "\ud800"}, {"brief": "x", "duration_s": 31},
    {"brief": "x", "duration_s": 70}, {"brief": "x", "aspect": "4:3"}, {"brief": "x", "extra": 1},
    {"brief": "x", "creativity": 2}, {"brief": "x", "seed": -1}, {"brief": "x", "product_asset_id": "a.b"},
])
def test_request_body_rules(bad: dict) -> None:
    with pytest.raises(ValidationError):
        GenerationCreate.model_validate(bad)


def test_extra_renditions_drop_the_master_and_duplicates() -> None:
    assert extra_renditions("9:16", ["9:16", "1:1", "1:1", "16:9"]) == ["1:1", "16:9"]


def test_cursor_round_trip_and_tampering() -> None:
    assert decode_cursor(encode_cursor("01JABC")) == "01JABC"
    for bad in ("", "!!!", "eyJ2IjoxfQ", encode_cursor("x") + "zz", "eyJiZWZvcmUiOiIkbmUifQ"):
        with pytest.raises(BadCursor):
            decode_cursor(bad)


async def test_view_presigns_every_artifact_and_hides_internals() -> None:
    doc = {
        "_id": "G1", "owner": "acme", "key_id": "K", "request_hash": "h", "idempotency_key": "i",
        "status": "chunking", "spec": {"brief": "x", "product_asset": dict(REF, key="assets/acme/A/image.png")},
        "frames": {"10": dict(REF, key="generations/G1/storyboard/10.png"), "2": REF},
        "chunks": {"10-0": {"video": dict(REF, key="generations/G1/chunks/10-0.mp4")},
                   "0-1": {"video": dict(REF, key="generations/G1/chunks/0-1.mp4")}},
        "exports": {"renditions": [{"aspect": "9:16", "url": "http://stale", "video": dict(REF, key="e.mp4")}],
                    "poster": dict(REF, key="p.jpg"), "thumbnail": dict(REF, key="t.jpg")},
        "quality": {"passed": True},
        "costs": {"storyboard:0": {"key": "storyboard:0", "usd": 0.003},
                  "chunk:0-0": {"key": "chunk:0-0", "usd": 0.25}},
    }
    signed: list[str] = []

    async def presign(key: str) -> str:
        signed.append(key)
        return f"https://s3/{key}?sig"

    view = await generation_view(doc, presign, "https://api", expires_at=None)
    assert not {"owner", "key_id", "request_hash", "idempotency_key", "_id"} & view.keys()
    assert view["id"] == "G1" and view["stage"] == "chunking"
    assert [f["beat_index"] for f in view["frames"]] == [2, 10]
    assert view["frames"][0]["image"]["url"] == f"https://s3/{REF['key']}?sig"
    assert [c["video"]["url"] for c in view["chunks"]] == ["https://s3/generations/G1/chunks/0-1.mp4?sig",
                                                           "https://s3/generations/G1/chunks/10-0.mp4?sig"]
    assert view["renditions"][0]["url"] == "https://s3/e.mp4?sig"
    assert view["poster"]["url"] == "https://s3/p.jpg?sig" and view["spec_check"] == {"passed": True}
    assert "exports" not in view and "quality" not in view
    assert view["spec"]["product_asset"]["url"].startswith("https://s3/assets/")
    assert view["costs"]["total_usd"] == pytest.approx(0.253)
    assert view["links"]["video"] == "https://api/v1/generations/G1/video"
    assert sorted(signed) == sorted(set(signed))  # each object signed once


def test_stage_and_costs_of_finished_documents() -> None:
    assert current_stage({"status": "failed", "error": {"stage": "stitching"}}) == "stitching"
    assert current_stage({"status": "completed"}) is None
    assert cost_summary(None) == {"total_usd": 0.0, "entries": []}


def test_rendition_key_prefers_what_the_exporter_recorded() -> None:
    doc = {"_id": "G1", "spec": {"aspect": "9:16"},
           "renditions": [{"aspect": "1:1", "video": dict(REF, key="custom/1x1.mp4")}]}
    assert find_rendition_key(doc, "1:1") == ["custom/1x1.mp4", "generations/G1/exports/1x1.mp4"]
    assert find_rendition_key(doc, "9:16") == ["generations/G1/exports/9x16.mp4", "generations/G1/master.mp4"]
    exported = {"_id": "G1", "spec": {"aspect": "9:16"},
                "exports": {"renditions": [{"aspect": "9:16", "video": dict(REF, key="m.mp4")}]}}
    assert find_rendition_key(exported, "9:16")[0] == "m.mp4"
    assert normalize_aspect("9x16") == normalize_aspect(" 9-16") == "9:16"


def test_sse_framing() -> None:
    assert format_event(7, "plan.completed.v1", b'{"a":1}') == 'id: 7\nevent: plan.completed.v1\ndata: {"a":1}\n\n'
    assert format_event(8, "x", "one\ntwo") == "id: 8\nevent: x\ndata: one\ndata: two\n\n"


def test_validation_errors_are_json_safe() -> None:
    errors = validation_errors([
        {"loc": ("body", "duration_s"), "msg": "bad", "type": "value_error", "ctx": {"error": ValueError("x")}},
        {"loc": ("query", "limit"), "msg": "too big", "type": "less_than_equal"},
    ])
    assert errors[0]["pointer"] == "/duration_s" and errors[0]["ctx"] == {"error": "x"}
    assert errors[1]["pointer"] is None
