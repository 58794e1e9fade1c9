"""The exporter, declared: settings, one route, and its ports (the ffmpeg encoder).

Its route runs for terminal generations too (skip_terminal off): a redelivery after the generation was marked
completed re-publishes the completion events from the document with fresh links (their Nats-Msg-Ids are
deterministic, so the stream drops true duplicates).
"""

from admint.contracts.export import ExportCompleted
from admint.contracts.generation import GenerationCompleted
from admint.contracts.interactive import VersionCompleted
from admint.contracts.stitch import StitchCompleted
from admint.core.service import Infra, Route, ServiceSpec
from admint.exporter.config import ExporterSettings
from admint.exporter.encoder import FfmpegExportEncoder
from admint.exporter.handlers import Ports, handle_stitch_completed
from admint.media.ffmpeg import ToolPriority


def build_ports(settings: ExporterSettings, infra: Infra) -> Ports:
    ToolPriority.set(settings.tool_nice)
    return Ports(docs=infra.docs, blobs=infra.blobs, encoder=FfmpegExportEncoder.from_settings(settings),
                 settings=settings)


SERVICE = ServiceSpec(
    name="exporter",
    settings=ExporterSettings,
    routes={StitchCompleted: Route(handle_stitch_completed, skip_terminal=False)},
    ports=build_ports,
    produces=(ExportCompleted, GenerationCompleted, VersionCompleted),
)
