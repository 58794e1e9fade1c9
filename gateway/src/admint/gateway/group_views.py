"""A group and its members' documents → the public GroupView: members ranked by their master's overall score,
what they differ in, their dimensions side by side (pure)."""

from admint.contracts.stages import PIPELINE
from admint.core.document import GenerationDoc
from admint.gateway.group_schemas import (
    GroupLinks,
    GroupMemberView,
    GroupStatus,
    GroupView,
    MemberDifferences,
    SharedWork,
    WinnerView,
)
from admint.gateway.groups import GroupDoc
from admint.gateway.quality_schemas import DimensionScores
from admint.gateway.quality_views import scores_to_come
from admint.gateway.variants import varying
from admint.gateway.views import links


def group_links(group_id: str, base: str = "") -> GroupLinks:
    root = f"{base}/v1/generation-groups/{group_id}"
    return GroupLinks(self=root, events=f"{root}/events", winner=f"{root}/winner")


def differences(doc: GenerationDoc) -> MemberDifferences:
    spec, plan = doc.spec, doc.plan
    transition = spec.transition
    return MemberDifferences(
        framework=plan.framework if plan else spec.framework, archetype=plan.archetype if plan else None,
        creativity=spec.creativity, seed=spec.seed,
        transition="cut" if transition.kind == "cut" else f"crossfade {transition.duration_s:g} s",
    )


def overall_of(doc: GenerationDoc) -> float | None:
    master = doc.quality.master
    return master.scores.overall if master is not None and master.scores is not None else None


def group_status(docs: list[GenerationDoc]) -> GroupStatus:
    if any(d.status not in PIPELINE.terminal for d in docs):
        return "running"
    completed = sum(d.status == "completed" for d in docs)
    return "completed" if completed == len(docs) else "partial" if completed else "failed"


def shared_work(docs: list[GenerationDoc]) -> SharedWork:
    frames = [f for d in docs for f in d.storyboard.frames.values()]
    reused = sum(f.reused_from is not None for f in frames)
    return SharedWork(frames_reused=reused, frames_rendered=len(frames) - reused, notes=[
        "storyboard frames: a member whose frame request is identical to another member's (same image model, "
        "beat, style, size, seed and product) copies that frame instead of rendering it",
    ])


def group_view(group: GroupDoc, docs: list[GenerationDoc], base: str = "") -> GroupView:
    """`docs` in the group's member order."""
    scored = sorted((d for d in docs if overall_of(d) is not None), key=lambda d: -(overall_of(d) or 0.0))
    unscored = [d for d in docs if overall_of(d) is None]
    best = overall_of(scored[0]) if scored else None
    members = []
    for rank, doc in enumerate([*scored, *unscored], start=1):
        overall = overall_of(doc)
        master = doc.quality.master
        dims = master.scores.dimensions if master is not None and master.scores is not None else {}
        members.append(GroupMemberView(
            generation_id=doc.id, status=doc.status, rank=rank if overall is not None else None, overall=overall,
            behind_best=round(best - overall, 2) if best is not None and overall is not None else None,
            dimensions=DimensionScores(**{k: v for k, v in dims.items() if k in DimensionScores.model_fields}),
            chunks_below_threshold=sum(len(takes) - 1 for takes in doc.chunking.takes.values()),
            differences=differences(doc), scores_pending=scores_to_come(doc) or doc.status not in PIPELINE.terminal,
            links=links(doc.id, base),
        ))
    winner = WinnerView(generation_id=group.winner.generation_id, chosen_at=group.winner.chosen_at) \
        if group.winner else None
    return GroupView(
        id=group.id, status=group_status(docs), created_at=group.created_at, brief=group.brief, members=members,
        varying=varying([differences(d).model_dump() for d in docs]), winner=winner, shared=shared_work(docs),
        links=group_links(group.id, base),
    )
