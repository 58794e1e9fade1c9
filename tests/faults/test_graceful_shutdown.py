"""SIGTERM mid-chunk (what Kubernetes does on scale-in or rollout): the worker drains and loses no work."""

import re
import time

import pytest

from tests.faults.conftest import audit

pytestmark = pytest.mark.faults


def test_sigterm_mid_chunk_finishes_or_hands_back_work(system_factory) -> None:
    with system_factory(env={"ADMINT_ACK_WAIT_S": "6", "ADMINT_SHUTDOWN_GRACE_S": "20"},
                        replicas={"chunker": 2}) as system:
        ids = system.submit(2, seed=120, duration_s=30)
        victim = system.stack.services["chunker-0"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until this replica is in the middle of a chunk
            if re.search(r'^admint_in_flight\{service="chunker"\} [1-9]', victim.metrics(), re.M):
                break
            time.sleep(0.1)
        else:
            pytest.fail("chunker-0 never picked up a chunk")
        started = time.monotonic()
        code = victim.terminate(timeout_s=60)
        assert code == 0, f"chunker exited with {code} after SIGTERM"
        assert time.monotonic() - started < 25, "drain must end within the grace period"
        log = victim.log.read_text()
        assert "chunker stopped" in log
        statuses = system.wait_terminal(ids, timeout_s=420)
        assert set(statuses.values()) == {"completed"}, system.explain(statuses)
        audit(system, ids, "SIGTERM mid-chunk")
