"""Keyset cursors: ids are ULIDs (time-sortable), so "newest first" pages by `_id < last id`.

A cursor is `c1.<last id>`, and its OpenAPI pattern (`CURSOR_PATTERN`) says exactly what the server takes: every
string that matches is a page boundary (ids of items since deleted or of another owner included — the query is
still scoped to the caller), everything else is a 422 before the route runs. It used to be base64 of a JSON
object under a mere length limit: a fuzzer found cursors the schema allowed and the server refused. The `c1.`
tag keeps cursors of that older shape (which never hold a dot) from being read as ids.
"""

import re
from typing import Annotated

from fastapi import Query

from admint.contracts.ids import ID_PATTERN

CURSOR_PREFIX = "c1."
CURSOR_PATTERN = "^" + re.escape(CURSOR_PREFIX) + ID_PATTERN.removeprefix("^")
_CURSOR_RE = re.compile(CURSOR_PATTERN)

CursorQuery = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, description="next_cursor of the previous page (`c1.` and an id)."),
]


class BadCursor(ValueError):
    """The cursor was not made by this API (or was altered)."""


def encode_cursor(last_id: str) -> str:
    return CURSOR_PREFIX + last_id


def decode_cursor(cursor: str) -> str:
    if not _CURSOR_RE.match(cursor):
        raise BadCursor("cursor is not valid; use next_cursor from a previous page")
    return cursor.removeprefix(CURSOR_PREFIX)
