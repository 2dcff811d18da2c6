"""One pagination style for every list: `?cursor=…&limit=…`, answered with `next_cursor`.

A cursor is opaque to clients: the position after the last item of a page (the sort key of
that item), base64url-encoded JSON. No cursor is the first page, so a caller that never
pages sees what it always saw. `next_cursor` is null on the last page. A cursor that
cannot be read is refused (422 `cursor_invalid`), never taken as "from the start".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from fastapi import Query

from shared.refusal import Refused

_T = TypeVar("_T")

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


def page_of(
    rows: list[_T], limit: int, position: Callable[[_T], dict[str, Any]]
) -> tuple[list[_T], str | None]:
    """Cut `rows` (fetched with `limit + 1`) to a page, and the cursor of the next page:
    the position of the page's last item, or None when nothing follows."""
    page = rows[:limit]
    if len(rows) <= limit or not page:
        return page, None
    return page, encode_cursor(position(page[-1]))


def limit_query(most: int = 500) -> Any:
    """`?limit=`: how many items a page holds (its default is the parameter's)."""
    return Query(ge=1, le=most, description=f"Items per page (at most {most}).")


def read_cursor(cursor: str | None, **parse: Callable[[Any], Any]) -> dict[str, Any] | None:
    """The position a cursor names, each key read by its parser (`datetime.fromisoformat`,
    `UUID`, `int`…); None for no cursor. A value that does not parse is `cursor_invalid`."""
    position = decode_cursor(cursor, *parse)
    if position is None:
        return None
    try:
        return {key: read(position[key]) for key, read in parse.items()}
    except (TypeError, ValueError) as exc:
        raise Refused.invalid("cursor_invalid", "This cursor is not one of this list.") from exc


def sort_key_time(at: datetime | None) -> str:
    """A time as a fixed-width UTC string that sorts as the time does (None: last)."""
    if at is None:
        return "9999-12-31T23:59:59.999999"
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def page_sorted(
    items: list[_T], limit: int, cursor: str | None, key: Callable[[_T], list[str]]
) -> tuple[list[_T], str | None]:
    """A page of a list the service holds whole (a work queue computed in memory), in the
    order of `key` (a list of strings that sorts as the list should): the items after the
    cursor's key, and the cursor of the next page."""
    position = decode_cursor(cursor, "after")
    ordered = sorted(items, key=key)
    if position is not None:
        after = position["after"]
        if not isinstance(after, list) or not all(isinstance(x, str) for x in after):
            raise Refused.invalid("cursor_invalid", "This cursor is not one of this list.")
        ordered = [item for item in ordered if key(item) > after]
    return page_of(ordered, limit, lambda item: {"after": key(item)})
