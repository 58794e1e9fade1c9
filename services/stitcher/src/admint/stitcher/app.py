"""Composition root of the stitcher: ports from settings, one durable consumer on chunks.completed.v1."""

from functools import partial

from admint.contracts.chunks import ChunksCompleted
from admint.core.service import Infra
from admint.core.topology import consumers_of
from admint.core.worker import Subscription
from admint.providers.factory import build_music_model
from admint.stitcher.config import StitcherSettings
from admint.stitcher.handlers import Ports, handle_chunks_completed
from admint.stitcher.offline_music import OfflineMusicModel


def build(infra: Infra) -> list[Subscription]:
    settings = infra.settings if isinstance(infra.settings, StitcherSettings) else StitcherSettings()
    ports = Ports(docs=infra.docs, blobs=infra.blobs, music=build_music_model(
        settings, OfflineMusicModel, shared_slots=infra.slot_lease), settings=settings)
    (consumer,) = consumers_of("stitcher")
    return [
        Subscription(
            consumer=consumer, model=ChunksCompleted, handler=partial(handle_chunks_completed, ports=ports),
            stage="stitching",
        )
    ]
