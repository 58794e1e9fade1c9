"""The connected adapters one gateway process holds (built in the app's lifespan, read by the routes)."""

from dataclasses import dataclass

from motor.motor_asyncio import AsyncIOMotorClient
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from admint.gateway.auth import ApiKeyRepository
from admint.gateway.config import GatewaySettings
from admint.gateway.limits import SharedRateLimiter
from admint.gateway.stores import AssetRepository, GenerationQueries, IdempotencyRecords
from admint.runtime.blobstore import BlobStore
from admint.runtime.bus import EventPublisher
from admint.runtime.docstore import GenerationRepository


@dataclass
class Gateway:
    settings: GatewaySettings
    publisher: EventPublisher
    mongo: AsyncIOMotorClient
    docs: GenerationRepository
    generations: GenerationQueries
    assets: AssetRepository
    keys: ApiKeyRepository
    idempotency: IdempotencyRecords
    blobs: BlobStore
    nc: NatsClient
    js: JetStreamContext
    limiter: SharedRateLimiter

    @property
    def base_url(self) -> str:
        return (self.settings.public_url or "").rstrip("/")

    async def presign(self, key: str) -> str:
        return await self.blobs.presign_get(key, self.settings.presign_expiry_s)
