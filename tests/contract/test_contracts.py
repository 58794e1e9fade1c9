"""Contracts: samples validate and round-trip; models match the committed schemas; breaking edits are caught."""

import json
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from admint.contracts.compat import breaking_changes
from admint.contracts.registry import EVENT_TYPES, TERMINAL_TYPES, parse_event
from admint.contracts.schema_files import current_schemas, render, schema_filename
from admint.contracts.storyboard import FrameCompleted
from admint.contracts.subjects import parse_subject, subject_filter, subject_for

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "contracts" / "schemas"
SAMPLES = Path(__file__).with_name("samples")


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_has_a_sample_that_round_trips(event_type: str) -> None:
    raw = json.loads((SAMPLES / f"{event_type}.json").read_text())
    event = parse_event(raw)
    assert type(event) is EVENT_TYPES[event_type]
    assert event.model_dump(mode="json") == raw
    assert parse_event(event.model_dump_json()) == event


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_model_matches_committed_schema(event_type: str) -> None:
    committed = json.loads((SCHEMAS / schema_filename(event_type)).read_text())
    current = current_schemas()[event_type]
    problems = breaking_changes(committed, current)
    assert not problems, f"{event_type} changed incompatibly; publish a v2 instead: {problems}"
    assert render(current) == render(committed), "compatible change: run `make schemas` and commit the result"


def test_every_field_is_described() -> None:
    for event_type, schema in current_schemas().items():
        for name, prop in schema["properties"].items():
            assert "description" in prop, f"{event_type}.{name} has no Field(description=...)"


def _schema_without(schema: dict, field: str) -> dict:
    copy = json.loads(json.dumps(schema))
    copy["properties"].pop(field)
    copy["required"] = [r for r in copy.get("required", []) if r != field]
    return copy


def test_breaking_edits_are_detected() -> None:
    committed = json.loads((SCHEMAS / "frame.completed.v1.json").read_text())
    removed = _schema_without(FrameCompleted.model_json_schema(), "beat_count")
    assert breaking_changes(committed, removed) == ["beat_count: removed"]

    class Retyped(FrameCompleted):
        beat_index: str = Field(description="now a string")  # type: ignore[assignment]

    assert any(
        "beat_index: type changed" in p for p in breaking_changes(committed, Retyped.model_json_schema())
    )

    class NewlyRequired(FrameCompleted):
        region: str = Field(description="a new mandatory field")

    assert breaking_changes(committed, NewlyRequired.model_json_schema()) == ["region: newly required"]

    class Additive(FrameCompleted):
        region: str | None = Field(default=None, description="an optional addition")

    assert breaking_changes(committed, Additive.model_json_schema()) == []

    class NestedBreak(FrameCompleted):
        type: Literal["frame.completed.v1"] = "frame.completed.v1"

    assert breaking_changes(committed, NestedBreak.model_json_schema()) == []


def test_subjects() -> None:
    assert subject_for("G1", "plan.completed.v1") == "gen.G1.plan.completed.v1"
    assert subject_filter("plan.completed.v1") == "gen.*.plan.completed.v1"
    assert parse_subject("gen.G1.chunk.requested.v1") == ("G1", "chunk.requested.v1")
    with pytest.raises(ValueError):
        parse_subject("other.G1")
    assert TERMINAL_TYPES == {"generation.completed.v1", "generation.failed.v1", "generation.cancelled.v1",
                              "generation.deleted.v1"}


def test_derived_events_have_deterministic_msg_ids() -> None:
    raw = json.loads((SAMPLES / "chunk.completed.v1.json").read_text())
    a, b = parse_event(raw), parse_event({**raw, "id": "01JD3Z8K7Q2W4E6R8T0Y2U4ZZZ"})
    assert a.msg_id == b.msg_id == f"{raw['generation_id']}:chunk.completed.v1:0:0"


def test_invalid_generation_ids_are_refused() -> None:
    raw = json.loads((SAMPLES / "plan.completed.v1.json").read_text())
    with pytest.raises(ValueError):
        parse_event({**raw, "generation_id": "has.dots"})


def test_asyncapi_document_is_up_to_date_and_covers_every_event() -> None:
    """The committed AsyncAPI document equals what the services' wiring generates (`make asyncapi`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("asyncapi_gen", ROOT / "infra" / "asyncapi_gen.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    built = gen.build()
    assert gen.render(built) == gen.TARGET.read_text(), "stale: run `make asyncapi` and commit the result"
    from admint.contracts.registry import EVENT_TYPES

    assert set(built["channels"]) == set(EVENT_TYPES)
    assert built["asyncapi"] == "3.0.0"
    consumed = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in built["operations"].values()
                if op["action"] == "receive"}
    from admint.core.topology import CONSUMERS

    assert consumed == {c.event_type for c in CONSUMERS}
    for message in built["components"]["messages"].values():
        assert message["payload"]["$ref"].rsplit("/", 1)[1] in built["components"]["schemas"]
