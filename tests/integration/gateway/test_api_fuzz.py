"""A bounded schemathesis run against the live gateway's /openapi.json: no input may produce a 500."""

import asyncio
import sys
from pathlib import Path

import pytest

from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration


async def test_no_generated_request_gets_a_server_error(gateway: RunningGateway, tmp_path: Path) -> None:
    key = await gateway.new_key(max_active_generations=3)
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{gateway.url}/openapi.json",
        "--checks", "not_a_server_error", "--max-examples", "12", "--seed", "7", "--workers", "1",
        "--phases", "examples,coverage,fuzzing,stateful", "--exclude-path-regex", "/events$|/admin/",
        "--header", f"Authorization: Bearer {key}", "--request-timeout", "20",
        "--generation-database", "none", "--suppress-health-check", "all", "--no-color",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=420)
    text = output.decode(errors="replace")
    (tmp_path / "schemathesis.log").write_text(text)
    assert process.returncode == 0, text[-6000:]
    assert "Test cases:" in text and "passed" in text
