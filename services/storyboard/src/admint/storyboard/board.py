"""The storyboard's rules, free of I/O: the frames a plan asks for, what a frame costs, how far the fan-in is,
and the finished board assembled from the generation document.

Kept apart from the handlers so the fan-out/fan-in logic is testable without stores, models or pixels.
"""

import hashlib
import json

from admint.contracts.common import CostEntry
from admint.contracts.generation import GenerationSpec, StageProgress
from admint.contracts.plan import Plan
from admint.contracts.stages import Stage
from admint.contracts.storyboard import FrameCompleted, FrameRef, FrameRequested, PlanCompleted
from admint.core.document import FrameEntry, GenerationDoc
from admint.core.events import follow
from admint.providers.ports import ImageRequest

PRODUCER = "storyboard"
STAGE: Stage = "storyboard"


class IncompleteStoryboard(Exception):
    """The fan-in count says complete but a frame or the plan is not recorded (should not happen; retried)."""


def frame_requests(event: PlanCompleted) -> list[FrameRequested]:
    """One work item per beat: frames render in parallel across storyboard replicas."""
    plan = event.plan
    return [
        follow(
            event,
            FrameRequested,
            PRODUCER,
            beat=beat,
            beat_count=len(plan.beats),
            style=plan.style,
            spec=event.spec,
            product=plan.product,
        )
        for beat in plan.beats
    ]


def started(event: PlanCompleted) -> StageProgress:
    total = len(event.plan.beats)
    return follow(
        event,
        StageProgress,
        PRODUCER,
        stage=STAGE,
        done=0,
        total=total,
        item="start",
        message=f"rendering {total} storyboard frames",
    )


def image_request(event: FrameRequested, product_image: bytes | None) -> ImageRequest:
    return ImageRequest(
        beat=event.beat,
        style=event.style,
        size=event.spec.size,
        seed=event.spec.seed,
        product=event.product,
        product_image=product_image,
    )


IMAGE_BEAT_FIELDS = frozenset({"index", "beat_id", "role", "shot_type", "prompt", "energy"})
"""The beat fields image models read (offline and Replicate). A model that reads another field must add it here,
or members of a group would share frames that should differ."""


def frame_fingerprint(event: FrameRequested, model: str) -> str:
    """What makes a storyboard frame: the image model and everything of the request it reads. Two members of a
    group whose fingerprints match would render the same frame, so the second copies the first's."""
    spec = event.spec
    product = spec.product_asset.sha256 if spec.product_asset else None
    made_of = {"model": model, "beat": event.beat.model_dump(mode="json", include=set(IMAGE_BEAT_FIELDS)),
               "style": event.style.model_dump(mode="json"), "size": spec.size.model_dump(), "seed": spec.seed,
               "product": event.product, "product_image": product}
    return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()[:32]


def frame_cost(beat: int, frame: FrameEntry) -> CostEntry:
    """One entry per beat: a re-render overwrites it, so costs never double."""
    return CostEntry(key=f"storyboard:{beat}", stage=STAGE, model=frame.model, units=1, usd=frame.cost_usd)


def frame_completed(event: FrameRequested, frame: FrameEntry) -> FrameCompleted:
    return follow(
        event,
        FrameCompleted,
        PRODUCER,
        beat_index=event.beat.index,
        beat_count=event.beat_count,
        image=frame.image,
        model=frame.model,
        cost_usd=frame.cost_usd,
        reused_from=frame.reused_from,
    )


def recorded(event: FrameCompleted) -> FrameEntry:
    """What the fan-in records for a completed frame."""
    return FrameEntry(image=event.image, model=event.model, cost_usd=event.cost_usd, reused_from=event.reused_from)


def progress(event: FrameCompleted, count: int) -> StageProgress:
    total = event.beat_count
    return follow(
        event,
        StageProgress,
        PRODUCER,
        stage=STAGE,
        done=min(count, total),
        total=total,
        item=str(event.beat_index),
        message=f"frame {event.beat_index + 1} of {total} ready",
    )


def assemble(doc: GenerationDoc | None, beat_count: int) -> tuple[GenerationSpec, Plan, list[FrameRef]]:
    """Spec, plan and every frame in beat order, from the document's single copies of each."""
    if doc is None:
        raise IncompleteStoryboard("the generation document is gone")
    frames = {i: doc.storyboard.frame(i) for i in range(beat_count)}
    missing = [i for i, frame in frames.items() if frame is None]
    if missing:
        raise IncompleteStoryboard(f"frames missing {missing}")
    if doc.plan is None:
        raise IncompleteStoryboard("the plan is not recorded")
    refs = [FrameRef(beat_index=i, image=frame.image) for i, frame in frames.items() if frame is not None]
    return doc.spec, doc.plan, refs
