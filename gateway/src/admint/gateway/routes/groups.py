"""/v1/generation-groups: A/B variants of one brief — create, read ranked by quality, pick a winner, one SSE feed.

Each member is an ordinary generation (its own id, events, video, retry, cancel) carrying the group's id; the
services run members side by side like any generations (across replicas), the scorer scores each, and the group
ranks them by their masters' overall scores.
"""

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import StreamingResponse

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.envelope import utcnow
from admint.contracts.ids import ID_PATTERN, new_id
from admint.core.document import GenerationDoc, RequestRecord
from admint.gateway.deps import GatewayDep, PrincipalDep
from admint.gateway.group_feed import GroupFeed
from admint.gateway.group_schemas import GroupAccepted, GroupView, WinnerChoice
from admint.gateway.group_views import group_links, group_view
from admint.gateway.groups import GroupDoc, GroupMember, Winner
from admint.gateway.metrics import GENERATIONS_ACCEPTED, RATE_LIMITED
from admint.gateway.problems import ProblemError, problems
from admint.gateway.quality_views import scores_to_come
from admint.gateway.routes.generations import IdempotencyKey, _product_asset, _submit
from admint.gateway.schemas import MAX_SEED, GroupCreate
from admint.gateway.specs import build_spec, request_hash
from admint.gateway.sse import SSE_HEADERS
from admint.gateway.state import Gateway
from admint.gateway.variants import member_body, member_overrides
from admint.gateway.views import accepted

router = APIRouter(prefix="/v1/generation-groups", tags=["generation groups"])
log = logging.getLogger(__name__)
GroupId = Annotated[str, Path(description="Generation group id.", pattern=ID_PATTERN)]


def _not_found(group_id: str) -> ProblemError:
    return ProblemError(404, f"no generation group {group_id} for this key", kind="not-found")


async def _owned(gw: Gateway, group_id: str, owner: str) -> GroupDoc:
    group = await gw.groups.get_owned(group_id, owner)
    if group is None:
        raise _not_found(group_id)
    return group


async def _members(gw: Gateway, group: GroupDoc) -> list[GenerationDoc]:
    """The members' documents in the group's order (a member not created yet reads as its stored template)."""
    docs = []
    for member in group.members:
        doc = await gw.docs.get(member.generation_id)
        docs.append(doc if doc is not None else member.document)
    return docs


async def _accepted(gw: Gateway, group: GroupDoc, response: Response) -> GroupAccepted:
    """Create and publish every member (those not yet created/published: safe to repeat)."""
    docs = [await _submit(gw, member.document) for member in group.members]
    response.headers["Location"] = group_links(group.id, gw.base_url).self
    return GroupAccepted(id=group.id, created_at=group.created_at, members=[accepted(d, gw.base_url) for d in docs],
                         links=group_links(group.id, gw.base_url))


_GROUP_ID = {"group_id": "$response.body#/id"}
_GROUP_LINKS = {
    "GetGenerationGroup": {"operationId": "getGenerationGroup", "parameters": _GROUP_ID},
    "PickGroupWinner": {"operationId": "pickGroupWinner", "parameters": _GROUP_ID},
    "FollowGroupEvents": {"operationId": "generationGroupEvents", "parameters": _GROUP_ID},
}


@router.post("", status_code=202, response_model=GroupAccepted, operation_id="createGenerationGroup",
             responses={202: {"description": "Accepted.", "links": _GROUP_LINKS}, **problems(401, 409, 422, 429, 503)},
             summary="Ask for A/B variants of one ad")
async def create_group(body: GroupCreate, gw: GatewayDep, who: PrincipalDep, response: Response,
                       idempotency_key: IdempotencyKey = None) -> GroupAccepted:
    """Up to 8 generations of one brief, each an ordinary generation with the group's id. `variants: N` makes
    them differ by copy framework (then seed); a list of overrides says what each changes."""
    body_hash = request_hash(body)
    if idempotency_key and (earlier := await gw.groups.by_key(who.owner, idempotency_key)):
        return await _replay(gw, earlier, body_hash, response)
    count = body.variants if isinstance(body.variants, int) else len(body.variants)
    active = await gw.generations.count_active(who.owner)
    if active + count > who.max_active_generations:
        RATE_LIMITED.labels("active_generations").inc()
        retry = gw.settings.active_retry_after_s
        raise ProblemError(
            429, f"{active} generations are running and this group adds {count}; this key may run "
                 f"{who.max_active_generations} at once", kind="too-many-active",
            headers={"Retry-After": str(retry)}, retry_after_s=retry, limit="active_generations",
        )
    product = await _product_asset(gw, who, body.product_asset_id) if body.product_asset_id else None
    group = _new_group(gw, body, who.owner, who.key_id, idempotency_key, body_hash, product)
    earlier = await gw.groups.claim(group)
    if earlier is not None:  # a concurrent request with the same key won
        return await _replay(gw, earlier, body_hash, response)
    out = await _accepted(gw, group, response)
    GENERATIONS_ACCEPTED.inc(count)
    return out


def _new_group(gw: Gateway, body: GroupCreate, owner: str, key_id: str | None, idempotency_key: str | None,
               body_hash: str, product: ArtifactRef | None) -> GroupDoc:
    base = body.model_copy(update={"seed": body.seed if body.seed is not None else secrets.randbelow(MAX_SEED)})
    group_id, stamp = new_id(), utcnow()
    members = []
    for overrides in member_overrides(base, body.variants):
        member = member_body(base, overrides)
        doc = GenerationDoc(
            _id=new_id(), owner=owner, created_at=stamp, updated_at=stamp, group_id=group_id,
            spec=build_spec(member, long_side=gw.settings.render_long_side, fps=gw.settings.fps,
                            product_asset=product),
            request=RequestRecord(key_id=key_id, request_hash=request_hash(member)),
        )
        members.append(GroupMember(generation_id=doc.id, overrides=overrides, document=doc))
    return GroupDoc(_id=group_id, owner=owner, created_at=stamp, key_id=key_id, idempotency_key=idempotency_key,
                    request_hash=body_hash, brief=base.brief.strip(), members=members)


async def _replay(gw: Gateway, group: GroupDoc, body_hash: str, response: Response) -> GroupAccepted:
    if group.request_hash != body_hash:
        raise ProblemError(409, "this Idempotency-Key was used with a different request body",
                           kind="idempotency-conflict", group_id=group.id)
    response.headers["Idempotent-Replayed"] = "true"
    return await _accepted(gw, group, response)


@router.get("/{group_id}", response_model=GroupView, operation_id="getGenerationGroup",
            responses=problems(401, 404, 422, 429), summary="A group's members ranked by quality score")
async def get_group(group_id: GroupId, gw: GatewayDep, who: PrincipalDep) -> GroupView:
    """Members ranked by their master's overall score, with what they differ in and every dimension side by
    side; unscored members last."""
    group = await _owned(gw, group_id, who.owner)
    return group_view(group, await _members(gw, group), gw.base_url)


@router.post("/{group_id}/winner", response_model=GroupView, operation_id="pickGroupWinner",
             responses=problems(401, 404, 409, 422, 429), summary="Record the member picked as the winner")
async def pick_winner(group_id: GroupId, body: WinnerChoice, gw: GatewayDep, who: PrincipalDep) -> GroupView:
    """The pick must be a completed member; picking again replaces the earlier pick."""
    group = await _owned(gw, group_id, who.owner)
    if body.generation_id not in group.member_ids:
        raise ProblemError(
            422, f"{body.generation_id} is not a member of group {group_id}", title="Request validation failed",
            kind="validation", errors=[{"loc": ["body", "generation_id"], "pointer": "/generation_id",
                                        "msg": "not a member of this group", "type": "not_a_member"}],
        )
    doc = await gw.docs.get(body.generation_id)
    status = doc.status if doc is not None else "queued"
    if status != "completed":
        raise ProblemError(409, f"only a completed member can win; {body.generation_id} is {status}",
                           kind="not-ready", generation_status=status)
    await gw.groups.set_winner(group_id, who.owner, Winner(generation_id=body.generation_id, chosen_at=utcnow(),
                                                           key_id=who.key_id))
    group = await _owned(gw, group_id, who.owner)
    return group_view(group, await _members(gw, group), gw.base_url)


@router.get("/{group_id}/events", response_class=StreamingResponse, operation_id="generationGroupEvents",
            responses={200: {"description": "Server-sent events of every member: id = stream sequence, event = "
                                            "event type, data = the event JSON (its generation_id says whose).",
                             "content": {"text/event-stream": {}}},
                       **problems(401, 404, 422, 429, 503)},
            summary="Live feed of every member's events (SSE)")
async def group_events(
    group_id: GroupId, gw: GatewayDep, who: PrincipalDep,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0,
                                                description="Resume after this stream sequence.")] = None,
    after: Annotated[int | None, Query(ge=0, description="Same as Last-Event-ID.")] = None,
) -> StreamingResponse:
    """History first, then live events of every member; ends once every member ended and its scores are in
    (at most ADMINT_SSE_SCORES_WAIT_S after the last member ended)."""
    group = await _owned(gw, group_id, who.owner)
    resume = last_event_id if last_event_id is not None else (after or 0)

    async def attempts() -> dict[str, int]:
        return {d.id: d.attempt for d in await _members(gw, group)}

    async def scores_pending() -> bool:
        return any(scores_to_come(d) for d in await _members(gw, group))

    feed = GroupFeed(gw.nc, gw.js, gw.settings.stream_name, group.id, group.member_ids, resume,
                     gw.settings.sse_keepalive_s, gw.settings.sse_retry_ms, attempts,
                     more_after_end=scores_pending, more_wait_s=gw.settings.sse_scores_wait_s)
    try:
        await feed.open()
    except Exception as exc:
        await feed.close()
        raise ProblemError(503, f"the event stream is unavailable: {exc}", kind="unavailable",
                           headers={"Retry-After": "5"}) from exc
    return StreamingResponse(feed.stream_text(), media_type="text/event-stream", headers=SSE_HEADERS)
