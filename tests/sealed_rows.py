"""Tests read what intake kept of a citizen's message the way intake does: through its one
adapter that opens the sealed columns (services/intake/adapters/sealed.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.intake.adapters.sealed import open_rows


async def opened_messages(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]
) -> list[dict[str, Any]]:
    """Rows of `intake.inbound_messages` (with `id` and `subject_id`) with body, headers
    and parsed opened."""
    return await open_rows(conn, [{**dict(r), "inbound_id": r["id"]} for r in rows])


async def opened_message(conn: asyncpg.Connection, row: asyncpg.Record) -> dict[str, Any]:
    return (await opened_messages(conn, [row]))[0]


async def opened_attachments(conn: asyncpg.Connection, inbound_id: Any) -> list[dict[str, Any]]:
    """A message's attachments (ordered by file name) with their bytes opened."""
    rows = await conn.fetch(
        """SELECT a.id AS attachment_id, a.inbound_id, m.subject_id, a.file_name, a.sha256,
                  a.status, a.content
           FROM intake.inbound_attachments a JOIN intake.inbound_messages m
                ON m.id = a.inbound_id
           WHERE a.inbound_id = $1 ORDER BY a.file_name""",
        inbound_id,
    )
    return await open_rows(conn, rows)
