"""One pagination style for every list: `?cursor=…&limit=…`, answered with `next_cursor`.

A cursor is opaque to clients: the position after the last item of a page (the sort key of
that item), base64url-encoded JSON. No cursor is the first page, so a caller that never
pages sees what it always saw. `next_cursor` is null on the last page. A cursor that
cannot be read is refused (422 `cursor_invalid`), never taken as "from the start".
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from fastapi import Query

from shared.refusal import Refused

CURSOR_QUERY = Query(
    max_length=512,
    description="Where to go on: the `next_cursor` of the previous page (none: the first).",
)


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str | None, *keys: str) -> dict[str, Any] | None:
    """The position a cursor names (with exactly `keys`), or None for no cursor."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise Refused.invalid("cursor_invalid", "This cursor cannot be read.") from exc
    if not isinstance(position, dict) or set(position) != set(keys):
        raise Refused.invalid("cursor_invalid", "This cursor is not one of this list.")
    return position
