"""A bounded schemathesis run with every check against the live gateway's /openapi.json, as two owners.

Every check: no 500, status codes / content types / headers / bodies as documented, schema-valid requests accepted
and invalid ones rejected, 405s with `Allow`, auth actually enforced (`ignored_auth`), and stateful sequences
through the OpenAPI links and the ids responses hand out (`use_after_free`, `ensure_resource_availability`).
Two API keys of two owners are the peers of a Web Fuzzing Commons auth document, so `object_level_authorization`
replays each owner's reads of its own objects with the other owner's key.

Not fuzzed: the SSE feeds (`…/events`: a queued generation's feed stays open by design; tests/integration/gateway/
test_sse.py covers them) and the admin routes (a fuzzer that can revoke keys would revoke the peers' own).
"""

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration

# generous limits: the fuzzer must meet the API's behaviour, not only its 429s (which are documented anyway)
LIMITS = {"max_active_generations": 1000, "rate_limit_per_minute": 100_000, "generations_per_day": 1_000_000}


# Operations whose documented 422 (or 415) also covers rules a JSON schema cannot state: a referenced object must be
# the caller's (product_asset_id, a group member), a cost limit must cover the estimate, a webhook URL must resolve
# to a public address, an upload must be an image, `checkpoints` need `interactive`, a usage range spans ≤ 366 days.
# Only for these does a schema-valid request's 422 count as an answer; everywhere else it is a failure.
SEMANTIC_422 = {
    "createGeneration": [422], "estimateGeneration": [422], "createGenerationGroup": [422],
    "pickGroupWinner": [422], "createWebhook": [422], "updateWebhook": [422], "uploadAsset": [415, 422],
    "getUsage": [422],
}
# 410: a stateful sequence may DELETE a generation and then use its id. The routes that answer so (get, retry, cancel,
# video) document 410 Gone (routes/deletion.py), the deleted sibling of 404; status_code_conformance still checks that.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]


def write_config(directory: Path, keys: dict[str, str]) -> Path:
    auth = {"auth": [{"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {key}"}]}
                     for name, key in keys.items()]}
    (directory / "auth.json").write_text(json.dumps(auth))
    config = directory / "schemathesis.toml"
    config.write_text(
        "[auth.wfc]\n"
        f'path = "{directory / "auth.json"}"\n'
        f"peers = {json.dumps(list(keys))}\n"
        + "".join(
            "\n[[operations]]\n"
            f'include-operation-id = "{operation}"\n'
            f"checks.positive_data_acceptance.expected-statuses = {json.dumps(ACCEPTED + [str(c) for c in codes])}\n"
            for operation, codes in SEMANTIC_422.items()
        )
    )
    return config


async def test_the_api_meets_its_openapi_document_under_fuzzing(gateway: RunningGateway, tmp_path: Path) -> None:
    keys = {name: await gateway.new_key(owner=f"fuzz-{name}", **LIMITS) for name in ("alice", "bob")}
    config = write_config(tmp_path, keys)
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config),
        "run", f"{gateway.url}/openapi.json",
        "--checks", "all", "--max-examples", "20", "--seed", "7", "--workers", "4",
        "--phases", "examples,coverage,fuzzing,stateful", "--exclude-path-regex", "/events$|/admin/",
        "--request-timeout", "20", "--generation-database", "none", "--suppress-health-check", "all",
        "--no-color", "--output-truncate", "false",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("schemathesis_hooks.py"))},
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    text = output.decode(errors="replace")
    (tmp_path / "schemathesis.log").write_text(text)
    assert process.returncode == 0, text[-6000:]
    assert "Test cases:" in text and "passed" in text
