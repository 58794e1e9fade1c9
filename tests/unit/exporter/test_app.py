"""The exporter's declaration: its route (also for completed generations), what it publishes, its ports."""

from types import SimpleNamespace

import pytest

from admint.contracts.export import ExportCompleted
from admint.contracts.generation import GenerationCompleted
from admint.contracts.interactive import VersionCompleted
from admint.contracts.stitch import StitchCompleted
from admint.core.service import Infra
from admint.exporter.app import SERVICE
from admint.exporter.config import ExporterSettings
from admint.exporter.encoder import FfmpegExportEncoder
from tests.support.fakes import FakeGenerationStore, FakeObjectStore

pytestmark = pytest.mark.unit


def test_the_exporter_is_declared_with_one_route_that_also_runs_for_completed_generations() -> None:
    assert SERVICE.name == "exporter" and SERVICE.settings is ExporterSettings
    assert set(SERVICE.routes) == {StitchCompleted}
    assert SERVICE.produces == (ExportCompleted, GenerationCompleted, VersionCompleted)
    assert SERVICE.failure_stage() == "exporting"
    infra = Infra(FakeGenerationStore(), FakeObjectStore(), SimpleNamespace(hold=None))  # type: ignore[arg-type]
    ports = SERVICE.ports(ExporterSettings(poster_quality=70, thumbnail_long_side=200), infra)
    assert isinstance(ports.encoder, FfmpegExportEncoder)
    assert (ports.encoder.poster_quality, ports.encoder.thumbnail_long_side) == (70, 200)
    (sub,) = SERVICE.subscriptions(ports)
    assert sub.model is StitchCompleted and not sub.skip_terminal
