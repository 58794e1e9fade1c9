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
from admint.gateway.limits import SharedRateLimiter, StreamCounter
from admint.gateway.stores import AssetRepository, GenerationQueries, IdempotencyRecords
from admint.gateway.usage import UsageQueries


@dataclass
class Gateway:
    settings: GatewaySettings
    publisher: EventPublisher
    mongo: MongoClient
    docs: GenerationRepository
    generations: GenerationQueries
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

    @property
    def base_url(self) -> str:
        return (self.settings.public_url or "").rstrip("/")

    async def presign(self, key: str, download_as: str | None = None) -> str:
        return await self.blobs.presign_get(key, self.settings.presign_expiry_s, download_as)
