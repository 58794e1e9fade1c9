"""Generation groups without servers: how members differ, the body's bounds, and the ranked view."""

import pytest
from pydantic import ValidationError

from admint.core.document import MasterSection, QualitySection, ScoreEntry
from admint.gateway.group_views import group_view
from admint.gateway.groups import GroupDoc, GroupMember, Winner
from admint.gateway.schemas import GroupCreate, VariantOptions
from admint.gateway.variants import member_body, member_overrides, varying
from tests.support import builders

pytestmark = pytest.mark.unit


def test_n_variants_differ_by_framework_first_then_by_seed() -> None:
    base = GroupCreate(brief="oat milk", seed=11, variants=5)
    overrides = member_overrides(base, 5)
    assert overrides[:3] == [{"framework": "AIDA"}, {"framework": "PAS"}, {"framework": "FAB"}]
    assert [o.keys() for o in overrides[3:]] == [{"seed"}, {"seed"}] and overrides[3] != overrides[4]
    chosen = GroupCreate(brief="oat milk", seed=11, framework="PAS", variants=2)
    assert [set(o) for o in member_overrides(chosen, 2)] == [{"seed"}, {"seed"}]  # the framework is the group's


def test_a_list_of_overrides_is_applied_member_by_member() -> None:
    base = GroupCreate(brief="oat milk", seed=11, duration_s=15, variants=[
        VariantOptions(framework="PAS"), VariantOptions(creativity=0.9, seed=7)])
    members = [member_body(base, o) for o in member_overrides(base, base.variants)]
    assert [(m.framework, m.creativity, m.seed, m.duration_s) for m in members] == [
        ("PAS", 0.5, 11, 15), (None, 0.9, 7, 15)]


@pytest.mark.parametrize("variants", [1, 9, 0, [], [{}] * 9, [{"aspect": "1:1"}]])
def test_a_group_has_one_to_eight_members_and_overrides_only_what_members_may_change(variants: object) -> None:
    with pytest.raises(ValidationError):
        GroupCreate.model_validate({"brief": "x", "variants": variants})


def scored(gid: str, overall: float | None, status: str = "completed", framework: str = "AIDA"):  # type: ignore[no-untyped-def]
    doc = builders.generation(gid, status=status, spec=builders.spec(), plan=builders.plan().model_copy(
        update={"framework": framework}))
    if overall is None:
        return doc
    entry = ScoreEntry(video=builders.ref("m.mp4"), scores=builders.quality_scores(overall, sharpness=overall,
                                                                                   loudness=100.0))
    master = MasterSection(video=builders.ref("m.mp4"), duration_s=15, frames=450, has_audio=True)
    return doc.model_copy(update={"master": master, "quality": QualitySection(master=entry)})


def test_members_are_ranked_by_overall_score_with_their_differences_side_by_side() -> None:
    docs = [scored("G1", 71.5), scored("G2", None, status="stitching", framework="PAS"),
            scored("G3", 80.0, framework="FAB")]
    group = GroupDoc(_id="GRP", owner="acme", created_at=builders.WHEN, brief="oat milk",
                     members=[GroupMember(generation_id=d.id, document=d) for d in docs],
                     winner=Winner(generation_id="G3", chosen_at=builders.WHEN))
    view = group_view(group, docs, "https://api")
    assert [(m.generation_id, m.rank, m.overall, m.behind_best) for m in view.members] == [
        ("G3", 1, 80.0, 0.0), ("G1", 2, 71.5, 8.5), ("G2", None, None, None)]
    assert view.members[0].dimensions.sharpness == 80.0 and view.members[0].dimensions.loudness == 100.0
    assert [m.differences.framework for m in view.members] == ["FAB", "AIDA", "PAS"]
    assert view.status == "running" and view.varying == ["framework"] and view.winner is not None
    assert view.links.events == "https://api/v1/generation-groups/GRP/events"
    assert varying([{"seed": 1, "framework": "A"}, {"seed": 2, "framework": "A"}]) == ["seed"]
    done = group_view(group, [docs[0], scored("G2", 60.0, framework="PAS"), docs[2]])
    assert done.status == "completed" and [m.rank for m in done.members] == [1, 2, 3]
