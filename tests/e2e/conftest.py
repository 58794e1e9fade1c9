"""The whole system as separate processes (local stack + every service + gateway), small resolution for speed."""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from admint.devstack.processes import DevStack

API_KEY = "e2e-" + os.urandom(6).hex()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = DevStack(
        tmp_path_factory.mktemp("e2e"),
        env={"ADMINT_RENDER_LONG_SIDE": "320", "ADMINT_DEV_API_KEY": API_KEY, "ADMINT_ENVIRONMENT": "test",
             "ADMINT_SSE_KEEPALIVE_S": "1", "ADMINT_MAX_ACTIVE_GENERATIONS": "8"},
        replicas={"chunker": 2},
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def api(system: DevStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.api_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as c:
        yield c


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path
