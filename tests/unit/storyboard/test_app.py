"""The storyboard declaration: its routes on the topology's durables, what it publishes, its ports."""

from types import SimpleNamespace
from typing import Any

import pytest

from admint.contracts.interactive import BeatUpdated, CheckpointReached
from admint.contracts.storyboard import FrameCompleted, FrameRequested, StoryboardCompleted
from admint.core.service import Infra
from admint.storyboard.app import SERVICE, build_ports
from admint.storyboard.config import StoryboardSettings
from admint.storyboard.encoder import OpenCVFrameCodec
from admint.storyboard.offline_image import OfflineImageModel
from tests.support.fakes import FakeGenerationStore, FakeObjectStore

pytestmark = pytest.mark.unit


def test_the_service_routes_each_event_to_its_durable_and_declares_what_it_publishes() -> None:
    unused: Any = object()
    subs = SERVICE.subscriptions(ports=unused)
    assert sorted((s.consumer.durable, s.consumer.event_type) for s in subs) == [
        ("storyboard-fanin", "frame.completed.v1"),
        ("storyboard-frames", "frame.requested.v1"),
        ("storyboard-moods", "moods.requested.v1"),
        ("storyboard-plan", "plan.completed.v1"),
        ("storyboard-versions", "version.requested.v1"),
    ]
    assert {s.stage for s in subs} == {"storyboard"} and all(s.skip_terminal for s in subs)
    assert SERVICE.produces == (FrameRequested, FrameCompleted, StoryboardCompleted, CheckpointReached, BeatUpdated)


def test_the_ports_default_to_the_offline_image_model_and_the_opencv_codec() -> None:
    slots: Any = SimpleNamespace(hold=None)
    infra = Infra(docs=FakeGenerationStore(), blobs=FakeObjectStore(), slots=slots)  # type: ignore[arg-type]
    ports = build_ports(StoryboardSettings(_env_file=None), infra)  # type: ignore[call-arg]
    assert isinstance(ports.image, OfflineImageModel) and isinstance(ports.codec, OpenCVFrameCodec)
    assert ports.docs is infra.docs and ports.blobs is infra.blobs
    assert ports.image.pool is not None  # frames render in processes beside the service's event loop
    ports.image.pool.close()
