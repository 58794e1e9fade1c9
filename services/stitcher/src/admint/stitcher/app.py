"""The stitcher, declared: settings, one route, and its ports (music model from settings, ffmpeg encoder)."""

from admint.contracts.chunks import ChunksCompleted
from admint.contracts.stitch import StitchCompleted
from admint.core.service import Infra, ServiceSpec
from admint.media.ffmpeg import ToolPriority
from admint.providers.factory import build_music_model
from admint.stitcher.config import StitcherSettings
from admint.stitcher.encoder import FfmpegStitchEncoder
from admint.stitcher.handlers import Ports, handle_chunks_completed
from admint.stitcher.offline_music import OfflineMusicModel


def build_ports(settings: StitcherSettings, infra: Infra) -> Ports:
    ToolPriority.set(settings.tool_nice)
    return Ports(
        docs=infra.docs, blobs=infra.blobs,
        music=build_music_model(settings, OfflineMusicModel, shared_slots=infra.slots.hold),
        encoder=FfmpegStitchEncoder.from_settings(settings), settings=settings,
    )


SERVICE = ServiceSpec(
    name="stitcher",
    settings=StitcherSettings,
    routes={ChunksCompleted: handle_chunks_completed},
    ports=build_ports,
    produces=(StitchCompleted,),
)
