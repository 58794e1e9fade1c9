"""The connected adapters one gateway process holds (built in the app's lifespan, read by the routes)."""

from dataclasses import dataclass, field

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from admint.core.blobstore import BlobStore
from admint.core.bus import EventPublisher
from admint.core.docstore import GenerationRepository
from admint.core.mongo import MongoClient
from admint.core.webhookstore import DeliveryRepository, EndpointRepository
from admint.gateway.audit import AuditLog
from admint.gateway.auth import ApiKeyRepository
from admint.gateway.config import GatewaySettings
from admint.gateway.groups import GroupRepository
from admint.gateway.hub import SseHub
from admint.gateway.limits import SharedRateLimiter, StreamCounter
from admint.gateway.presign import PresignCache
from admint.gateway.read_cache import BuiltViews
from admint.gateway.stores import AdmissionSlots, AssetRepository, GenerationQueries, IdempotencyRecords
from admint.gateway.usage import UsageQueries


@dataclass
class Gateway:
    settings: GatewaySettings
    publisher: EventPublisher
    mongo: MongoClient
    docs: GenerationRepository
    generations: GenerationQueries
    admission: AdmissionSlots
    assets: AssetRepository
    keys: ApiKeyRepository
    idempotency: IdempotencyRecords
    blobs: BlobStore
    nc: NatsClient
    """The broker's connection (the only one): SSE consumers and stream reads use it beside the publisher."""
    js: JetStreamContext
    limiter: SharedRateLimiter
    audit: AuditLog
    endpoints: EndpointRepository
    deliveries: DeliveryRepository
    usage: UsageQueries
    groups: GroupRepository
    streams: StreamCounter = field(default_factory=StreamCounter)
    """Open SSE streams per key in this process (the per-key cap)."""
    views: BuiltViews = field(default_factory=BuiltViews)
    """GET responses reused while their cached document is unchanged (read_cache.py)."""
    hub: SseHub | None = None
    """The SSE feeds: one consumer per generation followed, shared by its watchers (hub.py)."""

    def sse_hub(self) -> SseHub:
        if self.hub is None:
            s = self.settings
            self.hub = SseHub(self.nc, self.js, s.stream_name, keepalive_s=s.sse_keepalive_s, retry_ms=s.sse_retry_ms,
                              backlog=s.sse_client_backlog, linger_s=s.sse_channel_linger_s,
                              more_wait_s=s.sse_scores_wait_s)
        return self.hub

    @property
    def base_url(self) -> str:
        return (self.settings.public_url or "").rstrip("/")

    links: PresignCache | None = None

    async def presign(self, key: str, download_as: str | None = None) -> str:
        """A link valid for at least presign_expiry_s from now (reused for a few minutes: presign.py); with
        `download_as`, a fresh one that makes browsers save the file under that name."""
        if download_as is not None:
            return await self.blobs.presign_get(key, self.settings.presign_expiry_s, download_as)
        if self.links is None:
            self.links = PresignCache(self.blobs.presign_get, self.settings.presign_expiry_s)
        return await self.links(key)
