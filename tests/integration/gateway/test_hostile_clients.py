"""Slow, greedy and stormy clients against a real gateway (issue 17 hardening): each limit answers with a clear
problem and a Retry-After, and none of them locks a key out of the rest of the API."""

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from admint.core.settings import CoreSettings
from tests.integration.gateway.conftest import RunningGateway, gateway_settings, serve
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def strict(stack: TestStack, bootstrapped: CoreSettings) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(stack, max_streams_per_key=2, stream_connects_per_minute=6,
                                request_body_timeout_s=1.0, sse_keepalive_s=0.2)
    running, server, task = await serve(settings)
    try:
        yield running
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


async def created(client: httpx.AsyncClient) -> str:
    response = await client.post("/v1/generations", json={"brief": "a calm ad for tea", "duration_s": 15})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_a_key_holds_at_most_its_cap_of_open_streams(strict: RunningGateway) -> None:
    key = await strict.new_key()
    async with strict.client(key) as client:
        gid = await created(client)
        url = f"/v1/generations/{gid}/events"
        async with client.stream("GET", url) as first, client.stream("GET", url) as second:
            assert (first.status_code, second.status_code) == (200, 200)
            third = await client.get(url)
            assert third.status_code == 429 and third.headers["retry-after"] == "5"
            assert third.json()["limit"] == "open_streams"
            assert (await client.get(f"/v1/generations/{gid}")).status_code == 200  # the API still answers
        for _ in range(50):  # closed streams give their places back (once the server notices the disconnect)
            async with client.stream("GET", url) as again:
                if again.status_code == 200:
                    break
            await asyncio.sleep(0.1)
        assert again.status_code == 200


async def test_a_reconnect_storm_is_slowed_without_locking_the_key_out(strict: RunningGateway) -> None:
    key = await strict.new_key()
    async with strict.client(key) as client:
        gid = await created(client)
        statuses = []
        for _ in range(8):  # reconnect, read nothing, drop: a buggy client in a loop
            async with client.stream("GET", f"/v1/generations/{gid}/events") as response:
                statuses.append(response.status_code)
                if response.status_code == 429:
                    refusal = await response.aread()
        assert statuses[:6] == [200] * 6 and statuses[6:] == [429, 429]
        assert b"stream_connects_per_minute" in refusal
        assert (await client.get(f"/v1/generations/{gid}")).status_code == 200
        assert (await client.get("/v1/generations")).status_code == 200


async def test_a_trickled_request_body_is_cut_off_with_408(strict: RunningGateway) -> None:
    key = await strict.new_key()
    host = urlsplit(strict.url)
    reader, writer = await asyncio.open_connection(host.hostname, host.port)
    try:
        writer.write(
            b"POST /v1/generations HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {key}\r\nContent-Length: 200\r\n\r\n".encode() + b'{"brief": "slo'
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.read(4096), timeout=10)  # never sends the other 186 bytes
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 408")
    assert b"did not arrive within 1s" in head
