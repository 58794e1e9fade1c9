"""Generation documents → the studio's response models: beat cards, checkpoints and mood boards, feedback, versions
(pure apart from the injected presign function, like views.py).

An automatic generation keeps no beat cards (its path is unchanged); its cards are derived here from what the
document holds: a frame, the chunks of the beat, the status.
"""

from datetime import datetime, timedelta

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.beats import BeatState
from admint.contracts.stages import PIPELINE, WAITING
from admint.core.document import FeedbackRecord, GenerationDoc, VersionSection
from admint.gateway.schemas import ArtifactView, BeatCard, MoodBoardView, RenditionView, StudioView
from admint.gateway.studio_schemas import FeedbackView, VersionLinks, VersionPage, VersionView
from admint.gateway.views import Presign, Urls, artifact, presign_all


def studio_objects(doc: GenerationDoc) -> list[ArtifactRef]:
    """The stored objects the studio parts of a generation's response link to (mood images)."""
    return [image for board in (doc.moods.boards if doc.moods else []) for image in board.images]


def derived_state(doc: GenerationDoc, beat: int) -> BeatState:
    """A beat's state read off the document, for generations that keep no cards (the automatic path)."""
    planned = doc.chunking.beats.get(str(beat))
    chunks = [c for c in doc.chunking.chunks.values() if c.beat_index == beat]
    if planned and len(chunks) >= planned:
        return "video_ready"
    if planned:
        return "rendering"
    if doc.storyboard.frame(beat) is None:
        return "planned"
    order = PIPELINE.status_order
    past_storyboard = doc.status in order and order.index(doc.status) > order.index("storyboarding")
    return "frame_approved" if past_storyboard or doc.status == "completed" else "frame_ready"


def cards(doc: GenerationDoc, urls: Urls) -> list[BeatCard]:
    if doc.plan is None:
        return []
    out = []
    for beat in doc.plan.beats:
        frame = doc.storyboard.frame(beat.index)
        view = artifact(frame.image, urls) if frame is not None and frame.image.key in urls else None
        record = doc.beat(beat.index)
        if record is not None:
            out.append(BeatCard(index=beat.index, state=record.state, take=record.take, ad_version=record.version,
                                frame=view, reason=record.reason))
        else:
            out.append(BeatCard(index=beat.index, state=derived_state(doc, beat.index), frame=view))
    return out


def studio_view(doc: GenerationDoc, urls: Urls, deadline_s: float) -> StudioView | None:
    if not doc.spec.interactive:
        return None
    deadline = None
    if doc.status == WAITING and doc.waiting_since is not None:
        deadline = doc.waiting_since + timedelta(seconds=deadline_s)
    moods = [MoodBoardView(index=b.index, name=b.name, style=b.style, music=b.music,
                           images=[artifact(i, urls) for i in b.images if i.key in urls],
                           chosen=doc.moods is not None and doc.moods.chosen == b.index)
             for b in (doc.moods.boards if doc.moods else [])]
    return StudioView(checkpoints=list(doc.spec.checkpoints), checkpoint=doc.checkpoint if doc.status == WAITING
                      else None, deadline=deadline, approved=[c for c in PIPELINE.checkpoint_names
                                                              if c in doc.approvals], moods=moods)


def feedback_view(doc: GenerationDoc, record: FeedbackRecord, base: str) -> FeedbackView:
    root = f"{base}/v1/generations/{doc.id}/feedback/{record.id}"
    return FeedbackView(
        id=record.id, message=record.message, beat=record.beat, state=record.state,
        understood=record.intent.understood if record.intent else None, intent=record.intent,
        problems=record.problems, regenerate=record.regenerate is not None, created_at=record.at,
        applied_at=record.applied_at, error=record.error, apply=f"{root}/apply",
    )


def version_objects(doc: GenerationDoc) -> list[ArtifactRef]:
    refs: list[ArtifactRef] = []
    for master, exports in [(doc.master, doc.exports), *((v.master, v.exports) for v in doc.ad_versions.values())]:
        if master is not None:
            refs.append(master.video)
        if exports is not None:
            refs += [r.video for r in exports.renditions] + [exports.poster]
    return refs


async def versions_page(doc: GenerationDoc, presign: Presign, base: str, expires_at: datetime) -> VersionPage:
    urls = await presign_all(version_objects(doc), presign)
    items = [_first(doc, urls, base, expires_at)]
    items += [_later(doc, v, urls, base, expires_at) for _, v in sorted(doc.ad_versions.items(), key=lambda kv:
                                                                           int(kv[0]))]
    return VersionPage(latest=doc.latest_version, rendering=doc.rendering_version or None, items=items)


def _renditions(exports: object, urls: Urls, expires_at: datetime) -> list[RenditionView]:
    renditions = getattr(exports, "renditions", None) or []
    return [RenditionView(aspect=r.aspect, size=r.size, method=r.method, video=artifact(r.video, urls),
                          url=urls[r.video.key], url_expires_at=expires_at, spec_check=r.spec_check)
            for r in renditions]


def _video_link(doc: GenerationDoc, number: int, base: str) -> VersionLinks:
    return VersionLinks(video=f"{base}/v1/generations/{doc.id}/video?version={number}")


def _first(doc: GenerationDoc, urls: Urls, base: str, expires_at: datetime) -> VersionView:
    state = "completed" if doc.status == "completed" else "failed" if doc.status in PIPELINE.terminal \
        else "rendering"
    first_plan = doc.plan if not doc.ad_versions else None
    return VersionView(
        number=1, state=state, plan=first_plan,
        master=artifact(doc.master.video, urls) if doc.master else None,
        renditions=_renditions(doc.exports, urls, expires_at),
        poster=artifact(doc.exports.poster, urls) if doc.exports else None, cost_usd=doc.version_cost(1),
        requested_at=doc.created_at, completed_at=doc.timeline.get("completed"),
        error_stage=doc.error.stage if doc.error else None, error=doc.error.reason if doc.error else None,
        reused_windows=None, links=_video_link(doc, 1, base),
    )


def _later(doc: GenerationDoc, v: VersionSection, urls: Urls, base: str, expires_at: datetime) -> VersionView:
    return VersionView(
        number=v.number, state=v.state, base=v.base, reason=v.reason, beats=v.beats, plan=v.plan,
        master=artifact(v.master.video, urls) if v.master else None,
        renditions=_renditions(v.exports, urls, expires_at),
        poster=artifact(v.exports.poster, urls) if v.exports else None, cost_usd=doc.version_cost(v.number),
        requested_at=v.requested_at, completed_at=v.completed_at,
        error_stage=v.error.stage if v.error else None, error=v.error.reason if v.error else None,
        reused_windows=v.master.reused_windows if v.master else None, links=_video_link(doc, v.number, base),
    )


def artifact_or_none(ref: ArtifactRef | None, urls: Urls) -> ArtifactView | None:
    return artifact(ref, urls) if ref is not None and ref.key in urls else None
