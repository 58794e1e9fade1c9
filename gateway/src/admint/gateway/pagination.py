"""Opaque keyset cursors: ids are ULIDs (time-sortable), so "newest first" pages by `_id < last id`."""

import base64
import binascii
import json
import re

from admint.contracts.ids import ID_PATTERN

_ID_RE = re.compile(ID_PATTERN)


class BadCursor(ValueError):
    """The cursor was not made by this API (or was altered)."""


def encode_cursor(last_id: str) -> str:
    raw = json.dumps({"v": 1, "before": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        before = data["before"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError) as exc:
        raise BadCursor("cursor is not valid; use next_cursor from a previous page") from exc
    if not isinstance(before, str) or not _ID_RE.match(before):
        raise BadCursor("cursor is not valid; use next_cursor from a previous page")
    return before
