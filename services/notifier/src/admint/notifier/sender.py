"""The HTTP side of a webhook attempt, with the SSRF rules applied at send time.

The host is resolved for every attempt, every address is checked (core.netguard), and the request goes to the
checked address itself (the Host header and TLS name are the URL's host, so virtual hosts and certificates work
as usual): a DNS answer that changes after the check cannot send us elsewhere. Redirects are never followed (a
3xx is a failed attempt), environment proxies are ignored, the whole attempt has one time limit, and at most a
few KiB of the response are read.
"""

import asyncio
import time

import httpx

from admint.core.netguard import Target, UnsafeUrl, vetted
from admint.notifier.ports import Outcome

RESPONSE_KEPT = 512
"""Characters of a response body kept in the delivery record."""


def pinned_url(scheme: str, ip: str, port: int, path: str) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"{scheme}://{host}:{port}{path}"


def host_header(scheme: str, host: str, port: int) -> str:
    default = 443 if scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host
    return name if port == default else f"{name}:{port}"


class HttpSender:
    def __init__(self, timeout_s: float, max_response_bytes: int, allow_private: bool) -> None:
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self.allow_private = allow_private

    async def send(self, url: str, body: str, headers: dict[str, str]) -> Outcome:
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            async with asyncio.timeout(self.timeout_s):
                target, addresses = await vetted(url, self.allow_private)
                response, text = await self._post_first(target, [str(ip) for ip in addresses], body, headers)
        except UnsafeUrl as exc:
            return Outcome(False, latency_ms=elapsed(), error=f"refused: {exc}")
        except TimeoutError:
            return Outcome(False, latency_ms=elapsed(), error=f"no answer within {self.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return Outcome(False, latency_ms=elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])
        code = response.status_code
        ok = 200 <= code < 300
        error = None if ok else (f"redirect to {response.headers.get('location', '?')} not followed"
                                 if 300 <= code < 400 else f"HTTP {code}")
        return Outcome(ok, code, elapsed(), error, text[:RESPONSE_KEPT] or None)

    async def _post_first(self, target: Target, addresses: list[str], body: str,
                          headers: dict[str, str]) -> tuple[httpx.Response, str]:
        """POST to the first checked address that accepts a connection (IPv6 then IPv4, as resolved)."""
        for i, ip in enumerate(addresses):
            async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=self.timeout_s) as client:
                request = client.build_request(
                    "POST", pinned_url(target.scheme, ip, target.port, target.path), content=body.encode(),
                    headers={**headers, "host": host_header(target.scheme, target.host, target.port)},
                    extensions={"sni_hostname": target.host},
                )
                try:
                    response = await client.send(request, stream=True)
                except httpx.ConnectError:
                    if i == len(addresses) - 1:
                        raise
                    continue
                try:
                    return response, await self._read_some(response)
                finally:
                    await response.aclose()
        raise httpx.ConnectError(f"{target.host} has no address")

    async def _read_some(self, response: httpx.Response) -> str:
        data = b""
        async for chunk in response.aiter_raw():
            data += chunk
            if len(data) >= self.max_response_bytes:
                break
        return data[: self.max_response_bytes].decode("utf-8", "replace")
