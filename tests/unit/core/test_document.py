"""The typed generation document: tolerant reads, one copy of spec and plan, version-1 documents migrate."""

import json
from pathlib import Path

import pytest

from admint.core.document import DOCUMENT_VERSION, GenerationDoc, upgrade_v1
from tests.support import builders

pytestmark = pytest.mark.unit
V1 = json.loads((Path(__file__).parent / "samples" / "generation.v1.json").read_text())


def test_a_version_1_document_reads_into_todays_sections() -> None:
    doc = GenerationDoc.from_mongo(V1)
    assert doc.version == DOCUMENT_VERSION and doc.status == "completed" and doc.owner == "acme"
    assert sorted(doc.storyboard.frames) == ["0", "1", "2"] and doc.storyboard.done == [0, 1, 2]
    assert doc.storyboard.frame(0).model == "offline-image"  # type: ignore[union-attr]
    assert sorted(doc.chunking.chunks) == ["0-0", "1-0", "2-0"] and doc.chunking.planned is not None
    assert doc.chunking.chunks["1-0"].item == "1-0" and doc.chunking.chunks["1-0"].duration_s == 5.5
    assert doc.exports is not None and doc.exports.spec_checks["9x16"].passed and doc.exports.passed
    assert doc.request.idempotency_key == "order-42" and doc.request.key_id == "key-1"
    assert doc.plan is not None and doc.spec.duration_s == doc.plan.duration_s == 15
    assert doc.master is not None and doc.master.music is not None


def test_the_migration_leaves_no_second_copy_and_no_stray_field() -> None:
    upgraded = upgrade_v1(V1)
    assert "frames" not in upgraded and "chunks" not in upgraded and "quality" not in upgraded
    assert "spec" not in upgraded["storyboard"] and "plan" not in upgraded["chunking"]
    assert "models" not in upgraded["storyboard"] and "key_id" not in upgraded
    assert V1["frames"]  # pure: the stored document is untouched


def test_unknown_fields_from_a_newer_writer_are_ignored_and_round_trip_is_stable() -> None:
    doc = builders.generation("G1", status="chunking")
    raw = doc.to_mongo()
    assert raw["_id"] == "G1" and raw["version"] == DOCUMENT_VERSION and "plan" not in raw
    newer = {**raw, "versions": [{"n": 1}], "storyboard": {"frames": {}, "moods": ["x"]}}
    assert GenerationDoc.from_mongo(newer).to_mongo() == {**raw, "storyboard": raw["storyboard"]}
    built = builders.generation("G2", chunking={"chunks": {}, "total": 3})
    assert built.chunking.total == 3  # built in code: never mistaken for an old stored document


def test_unscored_lists_every_stored_video_without_a_score() -> None:
    from admint.core.document import ScoreEntry

    doc = GenerationDoc.from_mongo(V1)
    assert doc.quality.started is False
    missing = doc.unscored()
    assert missing[:3] == ["chunk 0-0#0", "chunk 1-0#0", "chunk 2-0#0"] and "master" in missing
    assert not any(m.startswith("rendition 9x16") for m in missing)  # the master's own rendition is the master
    assert doc.master is not None
    entry = ScoreEntry(video=doc.master.video, scores=builders.quality_scores())
    scored = doc.model_copy(update={"quality": doc.quality.model_copy(update={
        "master": entry, "chunks": {item: {"0": entry} for item in doc.chunking.chunks}})})
    assert scored.quality.started and [m for m in scored.unscored() if not m.startswith("rendition")] == []
