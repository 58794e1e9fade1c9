"""Sortable identifiers (ULID text form) made with the standard library only."""

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""Ids become NATS subject tokens, so dots, spaces and wildcards are excluded."""


def new_id() -> str:
    """A 26-character ULID: 48-bit millisecond time + 80 random bits, lexicographically sortable."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))
