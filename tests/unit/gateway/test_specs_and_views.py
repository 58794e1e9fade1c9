"""Pure gateway logic: request → spec, cursors, views, rendition lookup, SSE framing, validation errors."""

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from admint.contracts.artifacts import ArtifactRef
from admint.core.document import ErrorInfo
from admint.gateway.app import create_app
from admint.gateway.config import GatewaySettings
from admint.gateway.downloads import available_aspects, find_rendition_key, normalize_aspect
from admint.gateway.pagination import BadCursor, decode_cursor, encode_cursor
from admint.gateway.problems import validation_errors
from admint.gateway.schemas import GenerationCreate, GenerationView
from admint.gateway.specs import build_spec, extra_renditions, request_hash
from admint.gateway.sse import format_event
from admint.gateway.views import current_stage, generation_view
from tests.support import builders
from tests.support.documents import CHECK, INTERNAL, completed, fake_presign, keys_in

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
    assert default.quality_threshold is None


def test_every_aspect_has_one_platform_size_for_masters_and_renditions() -> None:
    sizes = {aspect: build_spec(GenerationCreate(brief="x", aspect=aspect), long_side=1920, fps=30).size
             for aspect in ("9:16", "1:1", "16:9")}
    assert {a: (s.width, s.height) for a, s in sizes.items()} == {
        "9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}


def test_the_quality_threshold_is_carried_into_the_spec_and_bounded() -> None:
    assert build_spec(GenerationCreate(brief="x", quality_threshold=55), long_side=320, fps=30).quality_threshold == 55
    for bad in (-1, 100.5):
        with pytest.raises(ValidationError):
            GenerationCreate(brief="x", quality_threshold=bad)


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
    assert decode_cursor("c1.0") == "0"  # any id-shaped boundary is a boundary (the schema's pattern says so)
    for bad in ("", "!!!", "eyJ2IjoxfQ", "c1.", "c1.$ne", "c1." + "x" * 65, "c2.01JABC", "eyJiZWZvcmUiOiIkbmUifQ"):
        with pytest.raises(BadCursor):
            decode_cursor(bad)


async def test_view_presigns_every_artifact_once_and_lists_in_order() -> None:
    signed: list[str] = []

    async def presign(key: str) -> str:
        signed.append(key)
        return await fake_presign(key)

    expires = datetime(2030, 1, 1, tzinfo=UTC)
    view = await generation_view(completed(), presign, "https://api", expires)
    assert view.id == "G1" and view.status == "completed" and view.stage is None and view.attempt == 1
    assert [f.beat_index for f in view.frames] == [2, 10]
    assert view.frames[0].image.url == "https://s3/generations/G1/storyboard/2.png?sig"
    assert [(c.beat_index, c.chunk_index) for c in view.chunks] == [(0, 1), (10, 0)]
    assert view.chunks[0].last_frame.url == "https://s3/generations/G1/chunks/0-1.last.png?sig"
    rendition = view.renditions[0]
    assert rendition.url == rendition.video.url == "https://s3/generations/G1/exports/9x16.mp4?sig"
    assert rendition.url_expires_at == expires and rendition.spec_check == CHECK
    assert view.poster is not None and view.poster.url == "https://s3/generations/G1/p.jpg?sig"
    assert view.master is not None and view.master.music_error == "no music model"
    assert view.spec.product_asset is not None and view.spec.product_asset.url.startswith("https://s3/assets/")
    assert view.costs.total_usd == pytest.approx(0.253)
    assert [e.key for e in view.costs.entries] == ["chunk:0-0", "storyboard:0"]
    assert view.links.video == "https://api/v1/generations/G1/video"
    assert sorted(signed) == sorted(set(signed)) and len(signed) == 11  # each object signed once


async def test_a_completed_view_is_exactly_the_response_model_and_never_shows_internals() -> None:
    view = await generation_view(completed(), fake_presign, "", datetime(2030, 1, 1, tzinfo=UTC))
    body = json.loads(view.model_dump_json())
    assert GenerationView.model_validate(body) == view  # extra="forbid" all the way down
    assert set(body) == set(GenerationView.model_fields) and "cancel" not in body
    assert not INTERNAL & keys_in(body), INTERNAL & keys_in(body)
    assert "secret detail" not in json.dumps(body)  # previous errors stay internal
    with pytest.raises(ValidationError):
        GenerationView.model_validate({**body, "timeline": {}})


async def test_a_new_generation_has_empty_sections_and_a_failed_one_names_its_stage() -> None:
    view = await generation_view(builders.generation("G2"), fake_presign, "", datetime(2030, 1, 1, tzinfo=UTC))
    assert (view.status, view.stage, view.frames, view.chunks, view.renditions) == ("queued", None, [], [], [])
    assert view.master is None and view.poster is None and view.costs.total_usd == 0.0
    failed = builders.generation("G3", status="failed", error=ErrorInfo(stage="stitching", reason="no", detail="d"))
    view = await generation_view(failed, fake_presign, "", datetime(2030, 1, 1, tzinfo=UTC))
    assert view.stage == "stitching" and view.error is not None and view.error.detail == "d"


def test_stage_of_running_and_finished_generations() -> None:
    assert current_stage("storyboarding") == "storyboard"
    assert current_stage("failed", "stitching") == "stitching"
    assert current_stage("completed") is None and current_stage("cancelled", "chunking") is None


def test_the_response_schemas_document_and_type_every_field() -> None:
    schema = create_app(GatewaySettings(_env_file=None, environment="test")).openapi()  # type: ignore[call-arg]
    components = schema["components"]["schemas"]
    todo, seen = ["GenerationView", "GenerationPage", "GenerationAccepted", "MeView"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for field, prop in components[name].get("properties", {}).items():
            text = json.dumps(prop)
            refs = [ref.rsplit("/", 1)[-1] for ref in re.findall(r'"\$ref": "([^"]+)"', text)]
            # pydantic leaves out a field's description when it repeats the referenced model's docstring
            described = prop.get("description") or (len(refs) == 1 and components[refs[0]].get("description"))
            assert described, f"{name}.{field} has no description"
            assert prop.keys() - {"description", "title", "default"} and "{}" not in text, f"{name}.{field}: Any"
            assert "additionalProperties" not in text, f"{name}.{field} is a free-form object"
            todo += refs
    assert {"ArtifactView", "SpecView", "RenditionView", "SpecCheck", "Plan", "CostItem"} <= seen


def test_rendition_key_prefers_what_the_exporter_recorded() -> None:
    doc = completed()
    assert find_rendition_key(doc, "9:16") == ["generations/G1/exports/9x16.mp4", "generations/G1/master.mp4"]
    assert find_rendition_key(doc, "1:1") == ["generations/G1/exports/1x1.mp4"]
    assert find_rendition_key(completed(rendition_key="custom/9x16.mp4"), "9:16")[0] == "custom/9x16.mp4"
    assert available_aspects(builders.generation(spec=builders.spec(renditions=["1:1"]))) == ["9:16", "1:1"]
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


def test_validation_pointers_name_places_in_the_body_not_union_members() -> None:
    body = {"brief": "x", "variants": [{"framework": "AIDA"}, {"seed": -1}], "transition": {"kind": "cut"}, "a/b": 1}
    errors = validation_errors([
        {"loc": ("body", "variants", "int"), "msg": "not an int", "type": "int_type"},
        {"loc": ("body", "variants", "list[VariantOptions]", 1, "seed"), "msg": ">= 0", "type": "greater_than_equal"},
        {"loc": ("body", "duration_s"), "msg": "Field required", "type": "missing"},
        {"loc": ("body", "transition", "duration_s"), "msg": "Field required", "type": "missing"},
        {"loc": ("body", "a/b"), "msg": "Extra inputs are not permitted", "type": "extra_forbidden"},
    ], body)
    assert [e["pointer"] for e in errors] == ["/variants", "/variants/1/seed", "/duration_s",
                                              "/transition/duration_s", "/a~1b"]
    assert errors[1]["loc"] == ["body", "variants", "list[VariantOptions]", 1, "seed"]  # loc stays pydantic's


async def test_costs_show_subtotals_limits_and_what_retention_removed() -> None:
    from admint.core.document import RetentionInfo

    doc = completed()
    doc.request.estimated_cost_usd = 0.3
    doc.spec = doc.spec.model_copy(update={"max_cost_usd": 1.0})
    view = await generation_view(doc, fake_presign, "", datetime(2030, 1, 1, tzinfo=UTC))
    assert {s.stage: s.usd for s in view.costs.by_stage} == pytest.approx(
        {e.stage: e.usd for e in view.costs.entries})
    assert sum(m.usd for m in view.costs.by_model) == pytest.approx(view.costs.total_usd)
    assert view.costs.estimated_usd == 0.3 and view.costs.max_cost_usd == 1.0 and view.media_removed is None
    stamp = datetime(2030, 1, 2, tzinfo=UTC)
    doc.retention = RetentionInfo(intermediates_deleted_at=stamp)
    later = await generation_view(doc, fake_presign, "", datetime(2030, 1, 1, tzinfo=UTC))
    assert later.media_removed is not None and later.media_removed.intermediates_at == stamp
    assert later.media_removed.videos_at is None
