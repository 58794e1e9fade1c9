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
import json, os, threading
from admint.core.service import lower_priority
from admint.scorer.config import ScorerSettings
started, done, tid = threading.Event(), threading.Event(), []
def idle():
    tid.append(threading.get_native_id())
    started.set()
    done.wait()
thread = threading.Thread(target=idle)
thread.start()
started.wait()
before = os.nice(0)
returned = lower_priority(ScorerSettings())
earlier_thread = os.getpriority(os.PRIO_PROCESS, tid[0])
done.set()
print(json.dumps([before, returned, os.nice(0), earlier_thread]))
"""


def niceness_in_a_fresh_process(**env: str) -> tuple[int, int, int, int]:
    """(nice before, what lower_priority returned, nice after, nice of a thread started before) in a child
    process (a nice cannot be undone)."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                          env={**os.environ, "ADMINT_ENVIRONMENT": "test", **env}, timeout=60)
    before, returned, after, thread = json.loads(done.stdout.strip().splitlines()[-1])
    return before, returned, after, thread


def test_only_work_beside_the_pipeline_is_lowered_by_default() -> None:
    assert CoreSettings().process_nice == 0
    assert ScorerSettings().process_nice == 10


def test_the_scorer_process_runs_at_its_configured_nice() -> None:
    """Every thread: a nice is per thread on Linux, and imports may have started some already."""
    before, returned, after, thread = niceness_in_a_fresh_process()
    assert after == min(19, before + 10) == returned == thread


def test_the_nice_is_a_setting() -> None:
    before, _, after, thread = niceness_in_a_fresh_process(ADMINT_PROCESS_NICE="3")
    assert after == min(19, before + 3) == thread
    before, _, after, thread = niceness_in_a_fresh_process(ADMINT_PROCESS_NICE="0")
    assert after == before == thread


def test_run_lowers_the_priority_before_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(service, "lower_priority", lambda settings: calls.append(("nice", settings.process_nice)))

    async def serve(spec: Any, settings: Any = None, stop: Any = None) -> None:
        calls.append(("serve", settings.process_nice, sys.getswitchinterval()))

    monkeypatch.setattr(service, "serve", serve)
    monkeypatch.setattr(service, "quiet_collector", lambda: None)  # a test process must not freeze its heap
    monkeypatch.setenv("ADMINT_ENVIRONMENT", "test")
    interval = sys.getswitchinterval()
    try:
        service.run(SERVICE)
    finally:
        sys.setswitchinterval(interval)
    # and its event loop takes the GIL back from its decode threads within a millisecond
    assert calls[-2:] == [("nice", 10), ("serve", 10, pytest.approx(service.GIL_SWITCH_S))]
