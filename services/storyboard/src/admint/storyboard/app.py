"""The storyboard, declared: settings, three routes (fan-out, one frame, fan-in) and their ports."""

from admint.contracts.storyboard import (
    FrameCompleted,
    FrameRequested,
    PlanCompleted,
    StoryboardCompleted,
)
from admint.core.service import Infra, ServiceSpec
from admint.providers.factory import build_image_model
from admint.storyboard.config import StoryboardSettings
from admint.storyboard.encoder import OpenCVFrameCodec
from admint.storyboard.handlers import handle_frame_completed, handle_frame_requested, handle_plan_completed
from admint.storyboard.heal import heal_storyboard
from admint.storyboard.offline_image import OfflineImageModel
from admint.storyboard.ports import Ports


def build_ports(settings: StoryboardSettings, infra: Infra) -> Ports:
    image = build_image_model(settings, OfflineImageModel, shared_slots=infra.slots.hold)
    return Ports(docs=infra.docs, blobs=infra.blobs, image=image, codec=OpenCVFrameCodec(),
                 frame_lock=lambda name: infra.slots.hold(name, 1))


SERVICE = ServiceSpec(
    name="storyboard",
    settings=StoryboardSettings,
    routes={
        PlanCompleted: handle_plan_completed,
        FrameRequested: handle_frame_requested,
        FrameCompleted: handle_frame_completed,
    },
    ports=build_ports,
    heal=heal_storyboard,
    produces=(FrameRequested, FrameCompleted, StoryboardCompleted),
)
