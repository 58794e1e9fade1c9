"""MongoDB through PyMongo's own asyncio client (motor is deprecated by its maintainers).

One place builds the client, so every process gets the same fail-fast timeouts and the same write concern.
"""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]


def connect(url: str, *, timeout_ms: int = 5000) -> MongoClient:
    """A client that fails fast when the server is down (callers retry) instead of hanging 30 s.

    Writes are journaled (`j: true`): an acknowledged write is on disk, so a server killed right after it loses
    nothing. Fan-ins count on that — a lost `$addToSet` would leave a stage waiting for good (issue 17). A real
    replica set needs the same; the local Mongo-wire server honours it when started with `--sync-on-commit`.
    """
    return AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        retryWrites=False,
        tz_aware=True,
        journal=True,
    )
