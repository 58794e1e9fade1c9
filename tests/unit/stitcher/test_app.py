"""The stitcher's declaration: its route, what it publishes, and the ports built from settings."""

from types import SimpleNamespace

import pytest

from admint.contracts.chunks import ChunksCompleted
from admint.contracts.stitch import StitchCompleted
from admint.core.service import Infra
from admint.stitcher.app import SERVICE
from admint.stitcher.config import StitcherSettings
from admint.stitcher.encoder import FfmpegStitchEncoder
from admint.stitcher.handlers import handle_chunks_completed
from admint.stitcher.offline_music import OfflineMusicModel
from tests.support.fakes import FakeGenerationStore, FakeObjectStore

pytestmark = pytest.mark.unit


def test_the_stitcher_is_declared_with_one_route_and_its_ports() -> None:
    assert SERVICE.name == "stitcher" and SERVICE.settings is StitcherSettings
    assert dict(SERVICE.routes) == {ChunksCompleted: handle_chunks_completed}
    assert SERVICE.produces == (StitchCompleted,) and SERVICE.failure_stage() == "stitching"
    infra = Infra(FakeGenerationStore(), FakeObjectStore(), SimpleNamespace(hold=None))  # type: ignore[arg-type]
    ports = SERVICE.ports(StitcherSettings(xfade_transition="dissolve"), infra)
    assert isinstance(ports.music, OfflineMusicModel) and isinstance(ports.encoder, FfmpegStitchEncoder)
    assert ports.encoder.transition == "dissolve" and ports.docs is infra.docs and ports.blobs is infra.blobs
    (sub,) = SERVICE.subscriptions(ports)
    assert sub.model is ChunksCompleted and sub.skip_terminal
