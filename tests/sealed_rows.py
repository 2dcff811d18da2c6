"""Tests read what intake kept of a citizen's message the way intake does: through its one
adapter that opens the sealed columns (services/intake/adapters/sealed.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import httpx

from services.intake.adapters.sealed import open_rows
from tests.servicekit import eventually


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


LEGAL_BASIS = "UU 27/2022 PDP Pasal 8 (permintaan subjek data)"


async def erase_when_known(
    casework: httpx.AsyncClient,
    case_id: Any,
    *,
    reader: dict[str, str],
    officer: dict[str, str],
) -> None:
    """Erasure of the case's person by the data protection officer (`officer`), once
    casework has the case (seen by `reader`)."""

    async def casework_knows() -> bool:
        got = await casework.get(f"/v1/cases/{case_id}", headers=reader)
        return got.status_code == 200

    await eventually(casework_knows, timeout=30)
    r = await casework.post(
        f"/v1/cases/{case_id}/erasure", headers=officer, json={"legal_basis": LEGAL_BASIS}
    )
    assert r.status_code == 200, r.text
