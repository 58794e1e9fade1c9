"""The stage table is the only place the pipeline's order is written; every map is derived from it."""

import ast
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from admint.cli.progress import GenerationProgress
from admint.contracts.stages import PIPELINE, STAGE_TABLE, Pipeline, Stage, StageDef, Status

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
SCORING = StageDef("scoring", "scoring", "scorer", "stitch.completed.v1", "quality.scored.v1", 120, "scores")


def test_the_automatic_path_in_order() -> None:
    assert PIPELINE.status_order == (
        "queued", "planning", "storyboarding", "chunking", "stitching", "exporting", "completed")
    assert PIPELINE.terminal == {"completed", "failed", "cancelled", "expired"}
    assert PIPELINE.active == (*PIPELINE.status_order[:-1], "awaiting_approval")
    assert PIPELINE.entry_event["chunking"] == "storyboard.completed.v1"
    assert PIPELINE.completed_by["stitch.completed.v1"].status == "stitching"
    assert PIPELINE.statuses_before("chunking") == ["queued", "planning", "storyboarding", "chunking"]
    assert PIPELINE.statuses_before("failed") == list(PIPELINE.active)
    assert [s.name for s in PIPELINE.stages_of("chunker")] == ["chunking"]
    assert PIPELINE.after("exporting") is None


def test_checkpoints_sit_between_the_stages_they_wait_on() -> None:
    assert [(p.status, p.checkpoint) for p in PIPELINE.positions] == [
        ("queued", None), ("planning", None), ("awaiting_approval", "moods"), ("awaiting_approval", "plan"),
        ("storyboarding", None), ("awaiting_approval", "storyboard"), ("chunking", None), ("stitching", None),
        ("exporting", None), ("completed", None)]
    # storyboarding may start from a generation waiting at moods or plan, never from one at the storyboard
    assert PIPELINE.guard("storyboarding").checkpoints == ("moods", "plan")
    assert PIPELINE.guard("chunking").checkpoints == ("moods", "plan", "storyboard")
    assert PIPELINE.guard("awaiting_approval", "plan").statuses == ("queued", "planning")
    assert PIPELINE.guard("awaiting_approval", "plan").checkpoints == ("moods", "plan")
    assert PIPELINE.guard("expired").statuses == () and PIPELINE.guard("expired").checkpoints
    assert "awaiting_approval" in PIPELINE.guard("cancelled").statuses
    assert PIPELINE.next_after("moods", ["moods", "plan", "storyboard"])[0] == "plan"
    assert PIPELINE.next_after("plan", ["plan", "storyboard"])[0] is None
    assert PIPELINE.next_after("plan", ["plan", "storyboard"])[1].name == "storyboard"
    assert PIPELINE.next_after("storyboard", ["storyboard"])[1].name == "chunking"
    assert PIPELINE.first_checkpoint_after("planning", ["moods", "plan"]) == "moods"
    assert PIPELINE.first_checkpoint_after("planning", ["storyboard"]) is None
    assert PIPELINE.first_checkpoint_after("storyboard", ["storyboard"]) == "storyboard"
    without = Pipeline(STAGE_TABLE)
    assert "awaiting_approval" not in without.statuses and without.terminal == {"completed", "failed", "cancelled"}


def test_adding_a_stage_to_the_table_is_the_only_edit_the_maps_need() -> None:
    table = (*STAGE_TABLE[:4], SCORING, STAGE_TABLE[4])
    longer = Pipeline(table)
    assert longer.status_order.index("scoring") == longer.status_order.index("stitching") + 1
    assert "scoring" in longer.statuses and "scoring" in longer.active
    assert longer.stage_of_status["scoring"] == "scoring"
    assert longer.entry_event["scoring"] == "stitch.completed.v1"
    assert longer.completed_by["quality.scored.v1"] is SCORING
    assert longer.budgets_s["scoring"] == 120
    assert longer.labels == ("planning", "storyboard", "chunks", "stitching", "scores", "export")
    assert longer.after("stitching") is SCORING and longer.after("scoring") == STAGE_TABLE[4]
    assert "scoring" in longer.statuses_before("exporting")


def test_the_literals_follow_the_table() -> None:
    assert TypeAdapter(Status).validate_python("storyboarding") == "storyboarding"
    assert TypeAdapter(Stage).validate_python("storyboard") == "storyboard"
    with pytest.raises(ValidationError):
        TypeAdapter(Status).validate_python("rendering")
    schema = TypeAdapter(Status).json_schema()
    assert schema["enum"] == list(PIPELINE.statuses)


def test_cli_bars_follow_the_table() -> None:
    progress = GenerationProgress()
    assert tuple(progress.steps) == PIPELINE.labels
    progress.apply("generation.requested.v1", {})
    progress.apply("plan.completed.v1", {"plan": {"beats": [{}, {}]}})
    assert progress.steps["planning"].finished and progress.steps["storyboard"].started
    progress.apply("chunks.completed.v1", {"chunks": [{}, {}, {}]})
    assert all(progress.steps[label].finished for label in ("planning", "storyboard", "chunks"))
    assert progress.steps["stitching"].started and not progress.steps["stitching"].finished


def _sequences_naming_statuses(path: Path) -> list[int]:
    """Lines of tuple/list/set/dict literals that spell out three or more stage or status names."""
    names = set(PIPELINE.statuses) | set(PIPELINE.names)
    hits = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            elements = [*node.keys, *node.values] if isinstance(node, ast.Dict) else node.elts
            spelled = {e.value for e in elements if isinstance(e, ast.Constant) and e.value in names}
            if len(spelled) >= 3:
                hits.append(node.lineno)
    return hits


def test_no_other_module_spells_out_the_pipeline() -> None:
    sources = [p for folder in ("contracts", "libs", "services", "gateway", "cli")
               for p in (ROOT / folder).rglob("src/**/*.py")]
    assert len(sources) > 50
    offenders = {str(p.relative_to(ROOT)): lines for p in sources
                 if p.name != "stages.py" and (lines := _sequences_naming_statuses(p))}
    assert offenders == {}
