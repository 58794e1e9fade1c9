"""Steering a generation: what an approval, a plan change or a regeneration does, in each phase, as conditional
document moves and the events that set the work going.

The owner's commands arrive at the gateway; feedback that came with a regeneration is applied by the planner once
it is interpreted. Both call these functions, so a change does the same thing whoever applies it:

- waiting at moods or plan: only the plan changes (nothing is rendered yet);
- waiting at the storyboard: the plan changes and each beat whose frame must change gets a new take
  (`frame.requested.v1` with `take` and its own seed); video and captions follow after the approval;
- completed (and no version rendering): version N+1 opens with the changed plan and only the changed beats
  (`version.requested.v1`); the rest of the ad is reused;
- anything else (stages working, a version rendering, terminal): `SteeringConflict` (HTTP 409).

Every phase commits with one conditional update (plan revision, phase, the beats not busy), so two concurrent
commands never both apply: the loser gets a conflict. Pure decisions and the store's typed methods only.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol

from admint.contracts.beats import BUSY_STATES
from admint.contracts.envelope import Event, utcnow
from admint.contracts.interactive import (
    BeatRedo,
    BeatUpdated,
    CheckpointApproved,
    CheckpointReached,
    PlanChanged,
    PlanChangeSource,
    Redo,
    VersionRequested,
    take_seed,
)
from admint.contracts.plan import Plan, Style
from admint.contracts.stages import PIPELINE, WAITING
from admint.contracts.storyboard import FrameRef, FrameRequested, PlanCompleted, StoryboardCompleted
from admint.core.document import ApprovalRecord, GenerationDoc, VersionSection
from admint.core.stores import GenerationStore

log = logging.getLogger(__name__)
Phase = Literal["moods", "plan", "storyboard", "completed"]
VIDEO_SEED_BASE = 1000
"""Video-only takes of version N use take_seed(seed, beat, 1000 + N): apart from every frame take's seed."""


class SteeringConflict(Exception):
    """The generation is not where the command can act (or another command won the race): HTTP 409."""

    def __init__(self, message: str, kind: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class BeatChange:
    """One beat a command renders again: how much, with which look, and whether as a fresh take."""

    index: int
    redo: Redo
    style: Style | None = None
    """The beat's own look for its new frame (e.g. "beat 1 warmer"); None keeps the one it has."""
    new_take: bool = False
    """Render it again even if nothing it shows changed (another take, with a new seed)."""
    seed: int | None = None
    """The new take's seed, when the owner chose one."""


class RenderLike(Protocol):
    """What the plan rules (admint.plans.steering.BeatRender) say a changed beat needs."""

    @property
    def redo(self) -> Redo: ...
    @property
    def style(self) -> Style: ...
    @property
    def new_take(self) -> bool: ...


def changes_from(renders: Mapping[int, RenderLike], plan_style: Style) -> list[BeatChange]:
    """The beats a steered plan renders again, with their own look only where it differs from the plan's."""
    return [BeatChange(index, r.redo, style=r.style if r.style != plan_style else None, new_take=r.new_take)
            for index, r in sorted(renders.items())]


def phase_of(doc: GenerationDoc) -> Phase | None:
    """Where a command may act now (None: nowhere — working, rendering a version, or finished for good)."""
    if doc.status == WAITING and doc.checkpoint is not None:
        return doc.checkpoint  # type: ignore[return-value]
    if doc.status == "completed" and not doc.rendering_version:
        return "completed"
    return None


def conflict_for(doc: GenerationDoc) -> SteeringConflict:
    """Why a command cannot act now, in words."""
    if doc.status == "completed" and doc.rendering_version:
        return SteeringConflict(f"version {doc.rendering_version} is rendering; wait for it to finish",
                                "version-rendering")
    if doc.status in PIPELINE.terminal:
        return SteeringConflict(f"the generation is {doc.status}", "already-finished")
    return SteeringConflict(f"the generation is {doc.status}: changes are taken at a checkpoint or after "
                            "completion", "not-at-checkpoint")


def deadline_of(doc: GenerationDoc, deadline_s: float) -> Any:
    since = doc.waiting_since or utcnow()
    return since + timedelta(seconds=deadline_s)


# ----------------------------------------------------------------------------------------------- approvals


async def approve(docs: GenerationStore, doc: GenerationDoc, checkpoint: str, *, by: str, producer: str,
                  deadline_s: float, mood: int | None = None) -> list[Event]:
    """Approve the checkpoint the generation waits at: on to the next checkpoint, or the next stage's entry event.

    SteeringConflict when it does not wait there (approved already by a concurrent request, cancelled, expired),
    when a beat is still regenerating, or when the moods checkpoint gets no valid board.
    """
    gid = doc.id
    if doc.status != WAITING or doc.checkpoint != checkpoint:
        where = f"at the {doc.checkpoint} checkpoint" if doc.status == WAITING else doc.status
        raise SteeringConflict(f"the generation is not waiting at the {checkpoint} checkpoint (it is {where})",
                               "not-at-checkpoint")
    if doc.plan is None:
        raise SteeringConflict("the generation has no plan yet", "not-at-checkpoint")
    busy = [i for i, b in sorted(doc.beats.items(), key=lambda kv: int(kv[0])) if b.state in BUSY_STATES]
    if busy and checkpoint == "storyboard":
        raise SteeringConflict(f"beat {int(busy[0]) + 1} is still regenerating; approve once its frame is ready",
                               "beat-busy")
    plan: Plan = doc.plan
    sets: dict[str, Any] = {}
    if checkpoint == "moods":
        plan, sets = _chosen_mood(doc, mood)
    next_checkpoint, stage = PIPELINE.next_after(checkpoint, doc.spec.checkpoints)
    record = ApprovalRecord(at=utcnow(), by=by, mood=mood)
    moved = await docs.approve(gid, checkpoint, record, next_checkpoint=next_checkpoint,
                               next_status=None if next_checkpoint else stage.status,
                               beats=len(plan.beats) if checkpoint == "storyboard" else 0, sets=sets)
    if not moved:
        raise SteeringConflict(f"the {checkpoint} checkpoint was approved or left meanwhile", "not-at-checkpoint")
    out: list[Event] = [CheckpointApproved(generation_id=gid, producer=producer, checkpoint=checkpoint,
                                           mood=mood, next_checkpoint=next_checkpoint, attempt=doc.attempt)]
    if checkpoint == "moods":
        out.append(PlanChanged(generation_id=gid, producer=producer, plan=plan, plan_rev=doc.plan_rev + 1,
                               source="mood", attempt=doc.attempt))
    if next_checkpoint is not None:
        fresh = await docs.get(gid) or doc
        out.append(CheckpointReached(generation_id=gid, producer=producer, checkpoint=next_checkpoint, plan=plan,
                                     deadline=deadline_of(fresh, deadline_s), attempt=doc.attempt))
    elif checkpoint == "storyboard":
        out += await _frames_approved(docs, doc, producer)
    else:
        out.append(PlanCompleted(generation_id=gid, producer=producer, spec=doc.spec, plan=plan,
                                 attempt=doc.attempt))
    return out


def _chosen_mood(doc: GenerationDoc, mood: int | None) -> tuple[Plan, dict[str, Any]]:
    assert doc.plan is not None
    board = doc.moods.board(mood) if doc.moods is not None and mood is not None else None
    if board is None:
        boards = [b.index for b in doc.moods.boards] if doc.moods else []
        raise SteeringConflict(f"choose one of the mood boards {boards} with `mood`", "mood-required")
    plan = doc.plan.model_copy(update={"style": board.style, "music": board.music})
    return plan, {"plan": plan.model_dump(mode="json"), "plan_rev": doc.plan_rev + 1, "moods.chosen": mood}


async def _frames_approved(docs: GenerationStore, doc: GenerationDoc, producer: str) -> list[Event]:
    """Every beat's frame approved; the storyboard as it stands goes to the chunker."""
    assert doc.plan is not None
    frames = []
    out: list[Event] = []
    for beat in doc.plan.beats:
        frame = doc.storyboard.frame(beat.index)
        if frame is None:
            raise SteeringConflict(f"beat {beat.index + 1} has no frame yet", "beat-busy")
        frames.append(FrameRef(beat_index=beat.index, image=frame.image))
        if await docs.move_beat(doc.id, beat.index, "frame_approved"):
            out.append(BeatUpdated(generation_id=doc.id, producer=producer, beat_index=beat.index,
                                   state="frame_approved", take=frame.take, attempt=doc.attempt))
    out.append(StoryboardCompleted(generation_id=doc.id, producer=producer, spec=doc.spec, plan=doc.plan,
                                   frames=frames, attempt=doc.attempt))
    return out


# ---------------------------------------------------------------------------------------------- plan changes


async def steer(docs: GenerationStore, doc: GenerationDoc, plan: Plan, changes: Sequence[BeatChange], *,
                source: PlanChangeSource, by: str, producer: str, reason: str = "") -> list[Event]:
    """Apply a changed plan and the beats to render again, as the generation's phase allows (module docstring).
    Returns the events to publish; SteeringConflict when it cannot act now or lost a race."""
    phase = phase_of(doc)
    if phase is None:
        raise conflict_for(doc)
    if doc.plan is None:
        raise SteeringConflict("the generation has no plan yet", "not-at-checkpoint")
    if phase == "completed":
        return await _open_version(docs, doc, plan, changes, source=source, by=by, producer=producer,
                                   reason=reason)
    retakes = [c for c in changes if phase == "storyboard" and (c.redo == "frame" or c.new_take or c.style)]
    for change in retakes:
        record = doc.beat(change.index)
        if record is not None and record.state in BUSY_STATES:
            raise SteeringConflict(f"beat {change.index + 1} is still rendering; try again when it is ready",
                                   "beat-busy")
    where: dict[str, Any] = {"status": WAITING, "checkpoint": phase}
    for change in retakes:
        where[f"beats.{change.index}.state"] = {"$nin": list(BUSY_STATES)}
    styles = {f"beat_styles.{c.index}": c.style.model_dump(mode="json") for c in changes if c.style is not None}
    if not await docs.change_plan(doc.id, plan, doc.plan_rev, where, {**styles, "waiting_since": utcnow()}):
        raise SteeringConflict("the plan or the generation changed meanwhile; read it again and retry", "stale")
    out: list[Event] = []
    if plan != doc.plan or styles:
        out.append(PlanChanged(generation_id=doc.id, producer=producer, plan=plan, plan_rev=doc.plan_rev + 1,
                               source=source, beats=_changed_beats(doc.plan, plan, changes), attempt=doc.attempt))
    for change in retakes:
        out += await _retake(docs, doc, plan, change, producer)
    return out


async def _retake(docs: GenerationStore, doc: GenerationDoc, plan: Plan, change: BeatChange,
                  producer: str) -> list[Event]:
    """A new take of one beat's frame at the storyboard checkpoint: claim it, then ask the storyboard for it."""
    record = doc.beat(change.index)
    take = (record.take if record else 0) + 1
    seed = _take_seed(doc, change, take)
    if not await docs.start_take(doc.id, change.index, take, seed=seed, where={}):
        log.warning("take %d of beat %d was claimed meanwhile", take, change.index, extra={"generation_id": doc.id})
        return []
    style = change.style or doc.style_of(change.index) or plan.style
    return [
        BeatUpdated(generation_id=doc.id, producer=producer, beat_index=change.index, state="regenerating",
                    take=take, attempt=doc.attempt),
        FrameRequested(generation_id=doc.id, producer=producer, beat=plan.beats[change.index],
                       beat_count=len(plan.beats), style=style, spec=doc.spec, product=plan.product, take=take,
                       seed=seed, attempt=doc.attempt),
    ]


async def _open_version(docs: GenerationStore, doc: GenerationDoc, plan: Plan, changes: Sequence[BeatChange], *,
                        source: PlanChangeSource, by: str, producer: str, reason: str) -> list[Event]:
    """Version N+1 of a completed ad: the changed plan, the changed beats, everything else prefilled from the base
    version (frames, chunks), so the pipeline renders only what changed."""
    if not changes:
        raise SteeringConflict("nothing to render again: the change does not alter what any beat shows", "no-change")
    number = max([doc.latest_version, *(int(n) for n in doc.ad_versions)]) + 1
    base = doc.latest_version
    redo = [_redo(doc, change, number) for change in sorted(changes, key=lambda c: c.index)]
    redone = {r.index for r in redo}
    base_chunks = doc.chunking_of(base).chunks
    version = VersionSection(
        number=number, base=base, plan=plan, beats=redo, reason=reason or _reason(redo), by=by,
        requested_at=utcnow(),
        frames={str(b.index): f for b in plan.beats if (f := doc.storyboard.frame(b.index)) is not None
                and not (b.index in redone and _needs_frame(redo, b.index))},
    )
    version.chunking.chunks = {item: entry for item, entry in base_chunks.items() if entry.beat_index not in redone}
    sets: dict[str, Any] = {f"beat_styles.{c.index}": c.style.model_dump(mode="json")
                            for c in changes if c.style is not None}
    sets |= {f"beats.{r.index}.video_seed": r.seed for r in redo if r.redo != "caption"}
    if not await docs.open_version(doc.id, version, doc.plan_rev, sets):
        raise SteeringConflict("another change started a version meanwhile; wait for it and retry", "stale")
    out: list[Event] = [PlanChanged(generation_id=doc.id, producer=producer, plan=plan, plan_rev=doc.plan_rev + 1,
                                    source=source, beats=sorted(redone), attempt=doc.attempt, ad_version=number)]
    for r in redo:
        if await docs.move_beat(doc.id, r.index, "regenerating", take=r.take, version=number, seed=r.seed):
            out.append(BeatUpdated(generation_id=doc.id, producer=producer, beat_index=r.index, state="regenerating",
                                   take=r.take, attempt=doc.attempt, ad_version=number))
    out.append(VersionRequested(generation_id=doc.id, producer=producer, base_version=base, spec=doc.spec, plan=plan,
                                beats=redo, reason=version.reason, attempt=doc.attempt, ad_version=number))
    return out


def _redo(doc: GenerationDoc, change: BeatChange, version: int) -> BeatRedo:
    record = doc.beat(change.index)
    current = record.take if record else 0
    frame = change.redo == "frame" or change.style is not None or (change.new_take and change.redo != "video")
    if frame:
        take = current + 1
        seed = _take_seed(doc, change, take)
        return BeatRedo(index=change.index, redo="frame", take=take, seed=seed,
                        style=change.style or doc.style_of(change.index))
    if change.redo == "video":
        seed = change.seed if change.seed is not None else take_seed(doc.spec.seed, change.index,
                                                                       VIDEO_SEED_BASE + version)
        return BeatRedo(index=change.index, redo="video", take=current, seed=seed)
    return BeatRedo(index=change.index, redo="caption", take=current, seed=record.video_seed if record else None)


def _take_seed(doc: GenerationDoc, change: BeatChange, take: int) -> int:
    """The seed of a new take: the owner's; a fresh one for another take (`new_take`); else the beat's current one,
    so a change such as "warmer" alters what was asked and keeps the composition."""
    if change.seed is not None:
        return change.seed
    if change.new_take:
        return take_seed(doc.spec.seed, change.index, take)
    record = doc.beat(change.index)
    return record.seed if record is not None and record.seed is not None else doc.spec.seed


def _needs_frame(redo: list[BeatRedo], beat: int) -> bool:
    return any(r.index == beat and r.redo == "frame" for r in redo)


def _reason(redo: list[BeatRedo]) -> str:
    words = {"frame": "new frame and video", "video": "new video", "caption": "new caption"}
    return "; ".join(f"beat {r.index + 1}: {words[r.redo]}" for r in redo)


def _changed_beats(old: Plan, new: Plan, changes: Sequence[BeatChange]) -> list[int]:
    changed = {c.index for c in changes}
    changed |= {b.index for b, n in zip(old.beats, new.beats, strict=False) if b != n}
    return sorted(changed)


def resume(doc: GenerationDoc, producer: str) -> list[Event]:
    """The events that set in-flight steering work going, again (same msg ids): for a crash between a committed
    change and its publish. A take claimed at a checkpoint is asked for again; a version opened is requested again.
    Handlers skip work already stored, so publishing these twice is harmless."""
    out: list[Event] = []
    plan = doc.plan
    if plan is None:
        return out
    if doc.status == WAITING:
        for key, record in sorted(doc.beats.items(), key=lambda kv: int(kv[0])):
            beat = int(key)
            if record.state != "regenerating" or record.take == 0 or beat >= len(plan.beats):
                continue
            out.append(FrameRequested(
                generation_id=doc.id, producer=producer, beat=plan.beats[beat], beat_count=len(plan.beats),
                style=doc.style_of(beat) or plan.style, spec=doc.spec, product=plan.product, take=record.take,
                seed=record.seed, attempt=doc.attempt))
    elif doc.status == "completed" and doc.rendering_version:
        version = doc.ad_version(doc.rendering_version)
        if version is not None and version.state == "rendering":
            out.append(VersionRequested(
                generation_id=doc.id, producer=producer, base_version=version.base, spec=doc.spec,
                plan=version.plan, beats=version.beats, reason=version.reason, attempt=doc.attempt,
                ad_version=version.number))
    return out
