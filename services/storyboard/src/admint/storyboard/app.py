"""Composition root of the storyboard: the image model from settings, three durable consumers."""

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from admint.contracts.envelope import Event
from admint.contracts.storyboard import FrameCompleted, FrameRequested, PlanCompleted
from admint.core.service import Infra
from admint.core.topology import consumers_of
from admint.core.worker import Subscription
from admint.providers.factory import build_image_model
from admint.storyboard.config import StoryboardSettings
from admint.storyboard.handlers import (
    Ports,
    handle_frame_completed,
    handle_frame_requested,
    handle_plan_completed,
)
from admint.storyboard.offline_image import OfflineImageModel

HANDLERS: dict[str, tuple[type[Event], Callable[..., Coroutine[Any, Any, list[Event]]]]] = {
    "plan.completed.v1": (PlanCompleted, handle_plan_completed),
    "frame.requested.v1": (FrameRequested, handle_frame_requested),
    "frame.completed.v1": (FrameCompleted, handle_frame_completed),
}


def build(infra: Infra) -> list[Subscription]:
    settings = infra.settings if isinstance(infra.settings, StoryboardSettings) else StoryboardSettings()
    ports = Ports(docs=infra.docs, blobs=infra.blobs, image=build_image_model(
        settings, OfflineImageModel, shared_slots=infra.slot_lease))
    subscriptions = []
    for consumer in consumers_of("storyboard"):
        model, handler = HANDLERS[consumer.event_type]
        subscriptions.append(
            Subscription(
                consumer=consumer, model=model, handler=partial(handler, ports=ports), stage="storyboard"
            )
        )
    return subscriptions
