"""Presigned links are reused for a while, and a reused link is still valid as long as a fresh one would be."""

import pytest

from admint.gateway.presign import MAX_SIGNATURE_S, PresignCache

pytestmark = pytest.mark.unit


async def test_links_are_reused_within_the_window_and_signed_long_enough_to_cover_it() -> None:
    signed: list[tuple[str, int]] = []
    now = [1000.0]

    async def sign(key: str, expiry_s: int) -> str:
        signed.append((key, expiry_s))
        return f"https://s3/{key}?sig={len(signed)}"

    cache = PresignCache(sign, expiry_s=3600, reuse_s=300, clock=lambda: now[0])
    first = await cache("a")
    now[0] += 299
    assert await cache("a") == first  # reused: no second signature
    assert signed == [("a", 3900)]  # valid 3600 s after the last moment it is handed out
    now[0] += 2
    assert await cache("a") != first  # past the window: signed again
    assert await cache("b") != await cache("a")


async def test_the_window_never_pushes_a_signature_past_seven_days() -> None:
    async def sign(key: str, expiry_s: int) -> str:
        return str(expiry_s)

    cache = PresignCache(sign, expiry_s=MAX_SIGNATURE_S - 60, reuse_s=300)
    assert int(await cache("k")) == MAX_SIGNATURE_S
