"""Presigned links, reused for a while: the same object gets the same link for `reuse_s`, so a client polling a
generation (or a dashboard of them) costs no signatures and gets URLs its browser can cache.

A reused link must still be valid as long as a fresh one would: links are signed for `expiry_s + reuse_s`
(S3 caps a signature at seven days), so one handed out `reuse_s` after it was made still lives `expiry_s`.
"""

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

MAX_SIGNATURE_S = 7 * 24 * 3600


class PresignCache:
    def __init__(self, sign: Callable[[str, int], Awaitable[str]], expiry_s: int, reuse_s: float = 300.0,
                 size: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.sign = sign
        self.reuse_s = max(0.0, min(reuse_s, MAX_SIGNATURE_S - expiry_s))
        self.signed_for = int(expiry_s + self.reuse_s)
        self.size = size
        self.clock = clock
        self._links: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def __call__(self, key: str) -> str:
        now = self.clock()
        hit = self._links.get(key)
        if hit is not None and now - hit[0] < self.reuse_s:
            return hit[1]
        url = await self.sign(key, self.signed_for)
        self._links[key] = (now, url)
        self._links.move_to_end(key)
        while len(self._links) > self.size:
            self._links.popitem(last=False)
        return url
