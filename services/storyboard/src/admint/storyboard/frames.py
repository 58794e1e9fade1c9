"""Storyboard domain: fan-out of a plan into frame work items, fan-in of stored frames, PNG conformance."""

import struct
from typing import Any

from admint.contracts.artifacts import ArtifactRef
from admint.contracts.common import FrameSize
from admint.contracts.generation import GenerationSpec
from admint.contracts.plan import Plan
from admint.contracts.storyboard import FrameRef, FrameRequested, PlanCompleted
from admint.core.events import follow
from admint.media.frames import decode_image, encode_png, fit_cover

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def frame_requests(event: PlanCompleted, producer: str) -> list[FrameRequested]:
    """One work item per beat: frames render in parallel across storyboard replicas."""
    plan = event.plan
    return [
        follow(
            event,
            FrameRequested,
            producer,
            beat=beat,
            beat_count=len(plan.beats),
            style=plan.style,
            spec=event.spec,
            product=plan.product,
        )
        for beat in plan.beats
    ]


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG header (None when the bytes are not a PNG)."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE):
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def conform_png(data: bytes, size: FrameSize) -> bytes:
    """The frame as a PNG of exactly `size`: another size or format from a provider is cover-cropped."""
    if png_size(data) == (size.width, size.height):
        return data
    pixels = decode_image(data, "rendered frame")
    return encode_png(fit_cover(pixels, size.width, size.height))


def check_product_image(data: bytes) -> None:
    """MediaToolError (→ a permanent failure) when the uploaded product image cannot be decoded."""
    decode_image(data, "the product image")


def stored_frame(doc: dict[str, Any] | None, beat: int) -> tuple[ArtifactRef, str, float] | None:
    """A frame a previous delivery already rendered and recorded: (ref, model, cost), else None."""
    if not doc:
        return None
    ref = (doc.get("frames") or {}).get(str(beat))
    model = ((doc.get("storyboard") or {}).get("models") or {}).get(str(beat))
    if not ref or not model:
        return None
    cost = ((doc.get("costs") or {}).get(f"storyboard:{beat}") or {}).get("usd", 0.0)
    return ArtifactRef.model_validate(ref), str(model), float(cost)


class IncompleteStoryboard(Exception):
    """The fan-in count says complete but a frame record is missing (should not happen; retried)."""


def assemble(doc: dict[str, Any], beat_count: int) -> tuple[GenerationSpec, Plan, list[FrameRef]]:
    """Spec, plan and every frame in beat order, from the generation document."""
    board = doc.get("storyboard") or {}
    frames = doc.get("frames") or {}
    missing = [i for i in range(beat_count) if str(i) not in frames]
    if missing or "spec" not in board or "plan" not in board:
        raise IncompleteStoryboard(
            f"frames missing {missing}" if missing else "storyboard spec/plan not recorded"
        )
    refs = [
        FrameRef(beat_index=i, image=ArtifactRef.model_validate(frames[str(i)])) for i in range(beat_count)
    ]
    return GenerationSpec.model_validate(board["spec"]), Plan.model_validate(board["plan"]), refs

