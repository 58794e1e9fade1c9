"""A real HTTP receiver on loopback for webhook tests: records every request, answers from a script.

A plain asyncio server (no framework), so a test controls everything a receiver can do: answer a status, wait
before answering, go down and come back on the same port.
"""

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    at: float
    """time.monotonic() when the request had been read."""
    path: str
    headers: dict[str, str]
    body: bytes


def reserve_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Receiver:
    port: int = field(default_factory=reserve_port)
    statuses: list[int] = field(default_factory=list)
    """Statuses to answer, in order; 200 once they run out."""
    delay_s: float = 0.0
    body: bytes | None = None
    """Response body (default: a few words)."""
    extra_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    _server: asyncio.Server | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/admint"

    async def start(self) -> "Receiver":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"receiver got {len(self.requests)} requests, expected {count}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)
        return self.requests

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(time.monotonic(), path, headers, body))
            self.arrived.set()
            status = self.statuses.pop(0) if self.statuses else 200
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            text = self.body if self.body is not None else b"ok" if status < 300 else b"receiver says no"
            extra = "".join(f"{k}: {v}\r\n" for k, v in self.extra_headers.items())
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: {len(text)}\r\n{extra}connection: close\r\n\r\n"
                         .encode() + text)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
