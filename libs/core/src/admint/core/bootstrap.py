"""Idempotent bootstrap of the ADMINT stream, the bucket and the indexes (compose/k8s one-shot job too)."""

import asyncio
import logging

from admint.core.blobstore import BlobStore
from admint.core.bus import connect_nats, ensure_stream
from admint.core.docstore import ensure_indexes
from admint.core.mongo import connect
from admint.core.service import retry_until_ready
from admint.core.settings import CoreSettings

log = logging.getLogger(__name__)


async def bootstrap(settings: CoreSettings | None = None) -> dict[str, str]:
    settings = settings or CoreSettings()
    nc = await retry_until_ready("NATS", lambda: connect_nats(settings))
    try:
        stream = await retry_until_ready("JetStream", lambda: ensure_stream(nc.jetstream(), settings))
    finally:
        await nc.close()
    mongo = connect(settings.mongo_url)
    try:
        await retry_until_ready("MongoDB", lambda: ensure_indexes(mongo[settings.mongo_db]))
    finally:
        await mongo.close()
    blobs = BlobStore.from_settings(settings)
    await retry_until_ready("S3", blobs.ensure_bucket)
    return {"stream": stream, "indexes": "ok", "bucket": settings.s3_bucket}


def bootstrap_sync() -> dict[str, str]:
    return asyncio.run(bootstrap())


if __name__ == "__main__":
    print(bootstrap_sync())
