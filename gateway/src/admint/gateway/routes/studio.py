"""/v1/generations/{id}/…: the interactive studio — approve a checkpoint, edit the plan, give feedback (interpreted,
shown, then applied), regenerate a beat, list the versions of the ad.

Each command is validated here with the plan's own rules (admint.plans) and applied with core.steering: one
conditional update decides it (a concurrent second command gets a 409), then the events that set the work going
are published. Every POST takes an Idempotency-Key (actions.py).
"""

import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse

from admint.contracts.envelope import Event, utcnow
from admint.contracts.feedback import PlanPatch
from admint.contracts.ids import ID_PATTERN, new_id
from admint.contracts.interactive import BeatUpdated, FeedbackRequested, RegenerateAsk
from admint.core import steering
from admint.core.document import FeedbackRecord, GenerationDoc, VersionSection
from admint.core.steering import BeatChange, SteeringConflict
from admint.gateway.actions import Outcome, fingerprint, perform
from admint.gateway.deps import GatewayDep, PrincipalDep
from admint.gateway.problems import ProblemError, problems
from admint.gateway.state import Gateway
from admint.gateway.studio_schemas import (
    ApproveRequest,
    FeedbackCreate,
    FeedbackPage,
    FeedbackView,
    PlanUpdated,
    RegenerateRequest,
    StudioAccepted,
    StudioLinks,
    VersionPage,
)
from admint.gateway.studio_views import feedback_view, versions_page
from admint.plans.plan_edits import PlanEditError, apply_plan_edits
from admint.plans.steering import apply_intent, redo_between

router = APIRouter(prefix="/v1/generations", tags=["studio"])
log = logging.getLogger(__name__)
PRODUCER = "gateway"
UNPROCESSABLE = {"mood-required", "no-change"}
"""Steering refusals that are the request's fault (422), not the generation's state (409)."""

GenerationId = Annotated[str, Path(description="Generation id.", pattern=ID_PATTERN)]
BeatIndex = Annotated[int, Path(description="Beat index (0-based, as in plan.beats).", ge=0, le=63)]
FeedbackId = Annotated[str, Path(description="Feedback id.", pattern=ID_PATTERN)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
           description="Retry-safe command: the same key and body give the same answer, and the command runs once."),
]


async def _owned(gw: Gateway, owner: str, generation_id: str) -> GenerationDoc:
    doc = await gw.generations.get_owned(generation_id, owner)
    if doc is None:
        raise ProblemError(404, f"no generation {generation_id} for this key", kind="not-found")
    return doc


def _refused(exc: SteeringConflict) -> ProblemError:
    status = 422 if exc.kind in UNPROCESSABLE else 409
    return ProblemError(status, exc.message, kind=exc.kind)


def _links(gw: Gateway, generation_id: str, feedback_id: str | None = None) -> StudioLinks:
    root = f"{gw.base_url}/v1/generations/{generation_id}"
    return StudioLinks(self=root, events=f"{root}/events",
                       feedback=f"{root}/feedback/{feedback_id}" if feedback_id else None)


async def _accepted(gw: Gateway, generation_id: str, events: list[Event] | tuple[Event, ...],
                    feedback_id: str | None = None) -> StudioAccepted:
    doc = await gw.docs.get(generation_id)
    assert doc is not None
    beats = sorted({e.beat_index for e in events if isinstance(e, BeatUpdated) and e.state == "regenerating"})
    return StudioAccepted(id=doc.id, status=doc.status, checkpoint=doc.checkpoint, plan_rev=doc.plan_rev,
                          version=doc.rendering_version or None, beats=beats,
                          feedback_id=feedback_id, links=_links(gw, doc.id, feedback_id))


def _edit_problem(exc: PlanEditError) -> ProblemError:
    return ProblemError(422, "; ".join(p.msg for p in exc.problems)[:1000], title="The change does not fit the plan",
                        kind="plan-edit", errors=exc.errors())


# ------------------------------------------------------------------------------------------------- approve


@router.post("/{generation_id}/approve", status_code=202, response_model=StudioAccepted, operation_id="approve",
             responses=problems(401, 404, 409, 422, 429, 503), summary="Approve the checkpoint it waits at")
async def approve(generation_id: GenerationId, body: ApproveRequest, request: Request, gw: GatewayDep,
                  who: PrincipalDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Goes on from `checkpoint` (at moods, with the chosen `mood` board): to the next checkpoint, or the next stage.
    409 when the generation does not wait there (approved already by another request, working, finished) or a beat
    is still regenerating; the same Idempotency-Key replays the first answer."""
    async def run() -> Outcome:
        doc = await _owned(gw, who.owner, generation_id)
        try:
            events = await steering.approve(gw.docs, doc, body.checkpoint, by=who.owner, producer=PRODUCER,
                                            deadline_s=gw.settings.approval_deadline_s, mood=body.mood)
        except SteeringConflict as exc:
            raise _refused(exc) from None
        log.info("approved %s of %s", body.checkpoint, generation_id)
        return Outcome(202, await _accepted(gw, generation_id, events), events)

    return await perform(gw, who.owner, idempotency_key, fingerprint("POST", request.url.path, body),
                         request.url.path, run)


# -------------------------------------------------------------------------------------------------- the plan


@router.patch("/{generation_id}/plan", response_model=PlanUpdated, operation_id="editPlan",
              responses=problems(401, 404, 409, 422, 429, 503), summary="Edit beats (caption, duration, …)")
async def edit_plan(generation_id: GenerationId, body: PlanPatch, gw: GatewayDep, who: PrincipalDep) -> PlanUpdated:
    """A list of per-beat edits (not a JSON Merge Patch: see PlanPatch), validated like the planner's own output —
    durations from 5/10/15 s that still add up to the ad's length, captions that fit the safe zone — with a 422
    pointing into this body otherwise. At a checkpoint before the storyboard only the plan changes; at the
    storyboard checkpoint beats whose frame changes get a new take; after completion it makes the next version,
    rendering only the changed beats."""
    doc = await _owned(gw, who.owner, generation_id)
    if doc.plan is None:
        raise ProblemError(409, "the generation has no plan yet", kind="not-at-checkpoint")
    if steering.phase_of(doc) is None:
        raise _refused(steering.conflict_for(doc))
    try:
        edited = apply_plan_edits(doc.plan, body, size=doc.spec.size)
    except PlanEditError as exc:
        raise _edit_problem(exc) from None
    redo = redo_between(doc.plan, edited)
    events: list[Event] = []
    if redo or edited != doc.plan:
        try:
            events = await steering.steer(gw.docs, doc, edited, [BeatChange(i, r) for i, r in sorted(redo.items())],
                                          source="edit", by=who.owner, producer=PRODUCER)
        except SteeringConflict as exc:
            raise _refused(exc) from None
        for event in events:
            await gw.publisher.publish(event)
    now = await gw.docs.get(generation_id)
    assert now is not None and now.plan is not None
    return PlanUpdated(id=now.id, status=now.status, checkpoint=now.checkpoint, plan=now.plan, plan_rev=now.plan_rev,
                       redo={str(i): r for i, r in sorted(redo.items())}, version=now.rendering_version or None)


# ------------------------------------------------------------------------------------------------- feedback


@router.post("/{generation_id}/feedback", status_code=202, response_model=StudioAccepted,
             operation_id="giveFeedback", responses=problems(401, 404, 409, 422, 429, 503),
             summary="Feedback in your own words (interpreted, shown, then applied on request)")
async def give_feedback(generation_id: GenerationId, body: FeedbackCreate, request: Request, response: Response,
                        gw: GatewayDep, who: PrincipalDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The planner interprets the message (`feedback.interpreted.v1` on the feed, and GET …/feedback/{id}); nothing
    changes until you POST …/feedback/{id}/apply. Taken at a checkpoint and after completion."""
    async def run() -> Outcome:
        doc = await _owned(gw, who.owner, generation_id)
        if steering.phase_of(doc) is None:
            raise _refused(steering.conflict_for(doc))
        if body.beat is not None and doc.plan is not None and body.beat >= len(doc.plan.beats):
            raise ProblemError(422, f"there is no beat {body.beat} (the plan has {len(doc.plan.beats)})",
                               kind="unknown-beat")
        record, event = await _new_feedback(gw, doc, who.owner, body.message, body.beat)
        return Outcome(202, await _accepted(gw, generation_id, [], record.id), [event],
                       {"Location": _links(gw, generation_id, record.id).feedback or ""})

    return await perform(gw, who.owner, idempotency_key, fingerprint("POST", request.url.path, body),
                         request.url.path, run)


async def _new_feedback(gw: Gateway, doc: GenerationDoc, owner: str, message: str, beat: int | None,
                        ask: RegenerateAsk | None = None) -> tuple[FeedbackRecord, FeedbackRequested]:
    record = FeedbackRecord(id=new_id(), message=message, beat=beat, at=utcnow(), by=owner, plan_rev=doc.plan_rev,
                            regenerate=ask)
    if not await gw.docs.add_feedback(doc.id, record):
        raise ProblemError(409, "the feedback could not be recorded; retry", kind="conflict")
    await gw.docs.renew_wait(doc.id)
    return record, FeedbackRequested(generation_id=doc.id, producer=PRODUCER, feedback_id=record.id, message=message,
                                     beat=beat, regenerate=ask, attempt=doc.attempt)


@router.get("/{generation_id}/feedback", response_model=FeedbackPage, operation_id="listFeedback",
            responses=problems(401, 404, 422, 429), summary="Every feedback message and what became of it")
async def list_feedback(generation_id: GenerationId, gw: GatewayDep, who: PrincipalDep) -> FeedbackPage:
    doc = await _owned(gw, who.owner, generation_id)
    ordered = sorted(doc.feedback.values(), key=lambda r: (r.at, r.id))
    return FeedbackPage(items=[feedback_view(doc, r, gw.base_url) for r in ordered])


@router.get("/{generation_id}/feedback/{feedback_id}", response_model=FeedbackView, operation_id="getFeedback",
            responses=problems(401, 404, 422, 429), summary="What was understood from one message")
async def get_feedback(generation_id: GenerationId, feedback_id: FeedbackId, gw: GatewayDep,
                       who: PrincipalDep) -> FeedbackView:
    doc = await _owned(gw, who.owner, generation_id)
    record = doc.feedback.get(feedback_id)
    if record is None:
        raise ProblemError(404, f"no feedback {feedback_id} on generation {generation_id}", kind="not-found")
    return feedback_view(doc, record, gw.base_url)


@router.post("/{generation_id}/feedback/{feedback_id}/apply", status_code=202, response_model=StudioAccepted,
             operation_id="applyFeedback", responses=problems(401, 404, 409, 422, 429, 503),
             summary="Apply interpreted feedback")
async def apply_feedback(generation_id: GenerationId, feedback_id: FeedbackId, request: Request, gw: GatewayDep,
                         who: PrincipalDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Does what the interpretation says: approve, edit the plan, render beats again (as a new version after
    completion). 409 while it is still being interpreted or once applied; 422 when nothing actionable was
    understood or it no longer fits the plan."""
    async def run() -> Outcome:
        doc = await _owned(gw, who.owner, generation_id)
        record = doc.feedback.get(feedback_id)
        if record is None:
            raise ProblemError(404, f"no feedback {feedback_id} on generation {generation_id}", kind="not-found")
        if record.state == "interpreting" or record.intent is None:
            raise ProblemError(409, "the feedback is still being interpreted; read it again shortly",
                               kind="not-interpreted", headers={"Retry-After": "1"})
        if record.state != "interpreted":
            raise ProblemError(409, f"the feedback was {record.state} already", kind="already-applied")
        intent = record.intent
        if intent.kind == "unclear":
            raise ProblemError(422, f"nothing to apply: {intent.understood}", kind="unclear")
        try:
            if intent.kind == "approve":
                if doc.checkpoint is None or steering.phase_of(doc) in (None, "completed"):
                    raise SteeringConflict("there is no checkpoint to approve", "not-at-checkpoint")
                events = await steering.approve(gw.docs, doc, doc.checkpoint, by=who.owner, producer=PRODUCER,
                                                deadline_s=gw.settings.approval_deadline_s,
                                                mood=doc.moods.chosen if doc.moods else None)
            else:
                if doc.plan is None:
                    raise SteeringConflict("the generation has no plan yet", "not-at-checkpoint")
                steered = apply_intent(doc.plan, intent, size=doc.spec.size)
                events = await steering.steer(gw.docs, doc, steered.plan,
                                              steering.changes_from(steered.renders, steered.plan.style),
                                              source="feedback", by=who.owner, producer=PRODUCER,
                                              reason=intent.understood[:500])
        except PlanEditError as exc:
            raise _edit_problem(exc) from None
        except SteeringConflict as exc:
            raise _refused(exc) from None
        await gw.docs.feedback_applied(generation_id, feedback_id)
        return Outcome(202, await _accepted(gw, generation_id, events, feedback_id), events)

    return await perform(gw, who.owner, idempotency_key, fingerprint("POST", request.url.path, None),
                         request.url.path, run)


# ----------------------------------------------------------------------------------------------- regenerate


@router.post("/{generation_id}/beats/{beat}/regenerate", status_code=202, response_model=StudioAccepted,
             operation_id="regenerateBeat", responses=problems(401, 404, 409, 422, 429, 503),
             summary="Render one beat again (a new take)")
async def regenerate_beat(generation_id: GenerationId, beat: BeatIndex, body: RegenerateRequest, request: Request,
                          gw: GatewayDep, who: PrincipalDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """At the storyboard checkpoint: a new take of the beat's frame. After completion: the next version of the ad,
    with only this beat rendered again (`frame`/`both`: new frame and video, `video`: new video from the kept frame).
    With `feedback`, the planner interprets it first (shown on the feed) and it shapes the new take. 409 while the
    beat (or a version) is rendering."""
    async def run() -> Outcome:
        doc = await _owned(gw, who.owner, generation_id)
        if doc.plan is None or beat >= len(doc.plan.beats):
            count = len(doc.plan.beats) if doc.plan else 0
            raise ProblemError(404, f"there is no beat {beat} (the plan has {count})", kind="unknown-beat")
        phase = steering.phase_of(doc)
        if phase not in ("storyboard", "completed"):
            raise _refused(steering.conflict_for(doc) if phase is None else SteeringConflict(
                f"beats are regenerated at the storyboard checkpoint or after completion (it waits at {phase})",
                "not-at-checkpoint"))
        if phase == "storyboard" and body.what == "video":
            raise ProblemError(409, "there is no video yet: at the storyboard checkpoint frames are regenerated",
                               kind="no-video-yet")
        record = doc.beat(beat)
        if record is not None and record.state in ("regenerating", "rendering"):
            raise ProblemError(409, f"beat {beat + 1} is still rendering; try again when it is ready",
                               kind="beat-busy")
        if body.feedback is not None:
            feedback, event = await _new_feedback(gw, doc, who.owner, body.feedback, beat,
                                                  RegenerateAsk(beat=beat, what=body.what, seed=body.seed))
            return Outcome(202, await _accepted(gw, generation_id, [], feedback.id), [event])
        change = BeatChange(beat, "video" if body.what == "video" else "frame", new_take=True, seed=body.seed)
        try:
            events = await steering.steer(gw.docs, doc, doc.plan, [change], source="regenerate", by=who.owner,
                                          producer=PRODUCER, reason=f"beat {beat + 1}: new {body.what} take")
        except SteeringConflict as exc:
            raise _refused(exc) from None
        return Outcome(202, await _accepted(gw, generation_id, events), events)

    return await perform(gw, who.owner, idempotency_key, fingerprint("POST", request.url.path, body),
                         request.url.path, run)


# -------------------------------------------------------------------------------------------------- versions


@router.get("/{generation_id}/versions", response_model=VersionPage, operation_id="listVersions",
            responses=problems(401, 404, 422, 429), summary="Every version of the ad")
async def list_versions(generation_id: GenerationId, gw: GatewayDep, who: PrincipalDep) -> VersionPage:
    """Version 1 is the first render; each change after completion made the next. Each keeps its own master,
    renditions, plan and cost; `latest` is the default download (GET …/video?version=N for another)."""
    doc = await _owned(gw, who.owner, generation_id)
    expires = utcnow() + timedelta(seconds=gw.settings.presign_expiry_s)
    return await versions_page(doc, gw.presign, gw.base_url, expires)


# ------------------------------------------------------------------------------------------------------ retry


async def retry_steering(gw: Gateway, doc: GenerationDoc, owner: str) -> list[Event]:
    """POST …/retry on a generation that did not fail as a whole: a failed later version is made again (as the
    next version, with the same changes and seeds), failed takes at the storyboard checkpoint are taken again, and
    in-flight work whose events were lost is set going again. 409 when there is nothing to retry."""
    failed = _failed_version(doc)
    try:
        if failed is not None and doc.plan is not None:
            changes = [BeatChange(b.index, b.redo, style=b.style, new_take=b.redo == "frame", seed=b.seed)
                       for b in failed.beats]
            return await steering.steer(gw.docs, doc, failed.plan, changes, source="regenerate", by=owner,
                                        producer=PRODUCER, reason=f"retry of version {failed.number}: {failed.reason}")
        retakes = [int(i) for i, b in doc.beats.items() if b.state == "failed"]
        if steering.phase_of(doc) == "storyboard" and retakes and doc.plan is not None:
            changes = [BeatChange(i, "frame", new_take=True) for i in sorted(retakes)]
            return await steering.steer(gw.docs, doc, doc.plan, changes, source="regenerate", by=owner,
                                        producer=PRODUCER, reason="retry of failed takes")
    except SteeringConflict as exc:
        raise _refused(exc) from None
    resumed = steering.resume(doc, PRODUCER)
    if resumed:
        return resumed
    raise ProblemError(409, f"only failed generations, failed versions and failed takes can be retried; this one "
                            f"is {doc.status}", kind="not-retryable")


def _failed_version(doc: GenerationDoc) -> VersionSection | None:
    if doc.status != "completed" or doc.rendering_version or not doc.ad_versions:
        return None
    newest = doc.ad_versions[str(max(int(n) for n in doc.ad_versions))]
    return newest if newest.state == "failed" and newest.number > doc.latest_version else None
