"""Long-lived processes freeze their start-up heap and space out full collections: the gateway, and every worker
started as `python -m admint.<svc>` (core.service.run)."""

import gc
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

import admint.core.service as service
from admint.core.collector import GC_THRESHOLDS, quiet_collector
from admint.core.settings import CoreSettings

pytestmark = pytest.mark.unit


@pytest.fixture
def collector_restored() -> Iterator[None]:
    before = gc.get_threshold()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_quiet_collector_freezes_what_lives_and_runs_full_collections_less_often(collector_restored: None) -> None:
    assert gc.get_freeze_count() == 0
    quiet_collector()
    assert gc.get_freeze_count() > 0 and gc.get_threshold() == GC_THRESHOLDS


def test_a_worker_process_quiets_its_collector_before_it_serves(collector_restored: None,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, tuple[int, int, int]]] = []

    async def serve(spec: Any, settings: Any) -> None:  # what the worker would run, once started
        seen.append((gc.get_freeze_count(), gc.get_threshold()))

    monkeypatch.setattr(service, "serve", serve)
    service.run(cast(Any, SimpleNamespace(settings=lambda: CoreSettings(process_nice=0))))
    assert len(seen) == 1 and seen[0][0] > 0 and seen[0][1] == GC_THRESHOLDS
