"""The scorer runs beside the pipeline at a lower OS priority (process_nice), so the chunk encodes and the stitch a
generation waits for get the CPU first; the setting is applied when the process starts."""

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from admint.core import service
from admint.core.settings import CoreSettings
from admint.scorer.app import SERVICE
from admint.scorer.config import ScorerSettings

pytestmark = pytest.mark.unit

PROBE = """
import json, os
from admint.core.service import lower_priority
from admint.scorer.config import ScorerSettings
before = os.nice(0)
returned = lower_priority(ScorerSettings())
print(json.dumps([before, returned, os.nice(0)]))
"""


def niceness_in_a_fresh_process(**env: str) -> tuple[int, int, int]:
    """(nice before, what lower_priority returned, nice after) in a child process (a nice cannot be undone)."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                          env={**os.environ, "ADMINT_ENVIRONMENT": "test", **env}, timeout=60)
    before, returned, after = json.loads(done.stdout.strip().splitlines()[-1])
    return before, returned, after


def test_only_work_beside_the_pipeline_is_lowered_by_default() -> None:
    assert CoreSettings().process_nice == 0
    assert ScorerSettings().process_nice == 10


def test_the_scorer_process_runs_at_its_configured_nice() -> None:
    before, returned, after = niceness_in_a_fresh_process()
    assert after == min(19, before + 10) == returned


def test_the_nice_is_a_setting() -> None:
    before, _, after = niceness_in_a_fresh_process(ADMINT_PROCESS_NICE="3")
    assert after == min(19, before + 3)
    before, _, after = niceness_in_a_fresh_process(ADMINT_PROCESS_NICE="0")
    assert after == before


def test_run_lowers_the_priority_before_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(service.os, "nice", lambda increment: calls.append(("nice", increment)) or 0)

    async def serve(spec: Any, settings: Any = None, stop: Any = None) -> None:
        calls.append(("serve", settings.process_nice))

    monkeypatch.setattr(service, "serve", serve)
    monkeypatch.setenv("ADMINT_ENVIRONMENT", "test")
    service.run(SERVICE)
    assert calls[-2:] == [("nice", 10), ("serve", 10)]
