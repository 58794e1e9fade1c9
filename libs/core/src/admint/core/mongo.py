"""MongoDB through PyMongo's own asyncio client (motor is deprecated by its maintainers).

One place builds the client, so every process gets the same fail-fast timeouts and the same write concern.
"""

from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from admint.core.metrics import MONGO_COMMANDS

Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]


class CommandCounter(monitoring.CommandListener):
    """Counts every command by name and collection (admint_mongo_commands_total): document reads and writes
    per event are a figure of the overhead benchmark, and a regression there shows on the dashboard."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get(name)
        MONGO_COMMANDS.labels(name, target if isinstance(target, str) else "").inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


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
        event_listeners=[CommandCounter()],
    )
