"""Composition root of the stitcher: ports from settings, one durable consumer on chunks.completed.v1."""

from functools import partial

from admint.contracts.chunks import ChunksCompleted
from admint.runtime.providers.factory import build_music_model
from admint.runtime.service import Infra
from admint.runtime.topology import consumers_of
from admint.runtime.worker import Subscription
from admint.stitcher.config import StitcherSettings
from admint.stitcher.handlers import Ports, handle_chunks_completed


def build(infra: Infra) -> list[Subscription]:
    settings = infra.settings if isinstance(infra.settings, StitcherSettings) else StitcherSettings()
    ports = Ports(docs=infra.docs, blobs=infra.blobs, music=build_music_model(
        settings, shared_slots=infra.slot_lease), settings=settings)
    (consumer,) = consumers_of("stitcher")
    return [
        Subscription(
            consumer=consumer, model=ChunksCompleted, handler=partial(handle_chunks_completed, ports=ports),
            stage="stitching",
        )
    ]
