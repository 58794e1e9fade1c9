"""The storyboard, declared: settings, its routes (fan-out, one frame, fan-in; mood boards and a new version's
frames: studio.py) and their ports."""

from admint.contracts.interactive import BeatUpdated, CheckpointReached, MoodsRequested, VersionRequested
from admint.contracts.storyboard import (
    FrameCompleted,
    FrameRequested,
    PlanCompleted,
    StoryboardCompleted,
)
from admint.core.cpu_pool import CpuPool
from admint.core.service import Infra, ServiceSpec
from admint.providers.factory import build_image_model
from admint.storyboard.config import StoryboardSettings
from admint.storyboard.encoder import OpenCVFrameCodec
from admint.storyboard.handlers import handle_frame_completed, handle_frame_requested, handle_plan_completed
from admint.storyboard.heal import heal_storyboard
from admint.storyboard.offline_image import OfflineImageModel
from admint.storyboard.ports import Ports
from admint.storyboard.studio import handle_moods_requested, handle_version_requested


def build_ports(settings: StoryboardSettings, infra: Infra) -> Ports:
    pool = CpuPool(settings.render_processes, nice=settings.tool_nice,
                   preload=("admint.storyboard.offline_image.model",))
    pool.warm()
    image = build_image_model(settings, lambda: OfflineImageModel(pool=pool), shared_slots=infra.slots.hold)
    return Ports(docs=infra.docs, blobs=infra.blobs, image=image, codec=OpenCVFrameCodec(),
                 frame_lock=lambda name: infra.slots.hold(name, 1), deadline_s=settings.approval_deadline_s)


SERVICE = ServiceSpec(
    name="storyboard",
    settings=StoryboardSettings,
    routes={
        PlanCompleted: handle_plan_completed,
        FrameRequested: handle_frame_requested,
        FrameCompleted: handle_frame_completed,
        MoodsRequested: handle_moods_requested,
        VersionRequested: handle_version_requested,
    },
    ports=build_ports,
    heal=heal_storyboard,
    produces=(FrameRequested, FrameCompleted, StoryboardCompleted, CheckpointReached, BeatUpdated),
)
