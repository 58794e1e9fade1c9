"""Session fixtures: one real local stack (NATS, S3, Mongo-wire) on free ports for every integration test.

ADMINT_TEST_STACK=containers would start upstream images with testcontainers where a Docker engine answers;
on machines without one, that backend reports itself unavailable with the reason (tests/support/stack.py).
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from admint.core.blobstore import BlobStore
from admint.core.bus import connect_nats
from admint.core.docstore import GenerationRepository, ensure_indexes
from admint.core.mongo import connect
from admint.core.settings import CoreSettings
from tests.support.stack import TestStack, start_test_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestStack]:
    test_stack = start_test_stack(tmp_path_factory.mktemp("stack"))
    saved = {k: os.environ.get(k) for k in test_stack.env}
    os.environ.update(test_stack.env)
    try:
        yield test_stack
    finally:
        test_stack.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def settings(stack: TestStack) -> CoreSettings:
    return CoreSettings(_env_file=None, environment="test", **stack.settings_kwargs())  # type: ignore[call-arg]


@pytest.fixture(scope="session")
async def bootstrapped(settings: CoreSettings) -> CoreSettings:
    from admint.core.bootstrap import bootstrap

    await bootstrap(settings)
    return settings


@pytest.fixture
async def nc(bootstrapped: CoreSettings) -> AsyncIterator[object]:
    client = await connect_nats(bootstrapped)
    yield client
    await client.close()


@pytest.fixture
async def js(nc: object) -> object:
    return nc.jetstream()  # type: ignore[attr-defined]


@pytest.fixture
async def docs(bootstrapped: CoreSettings) -> AsyncIterator[GenerationRepository]:
    client = connect(bootstrapped.mongo_url)
    await ensure_indexes(client[bootstrapped.mongo_db])
    yield GenerationRepository(client[bootstrapped.mongo_db])
    await client.close()


@pytest.fixture
async def blobs(bootstrapped: CoreSettings) -> BlobStore:
    store = BlobStore.from_settings(bootstrapped)
    await store.ensure_bucket()
    return store


@pytest.fixture
def gid() -> str:
    """A fresh generation id per test (tests share one stack, never one generation)."""
    return "T" + uuid.uuid4().hex[:20].upper()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path
