"""The scans' bytes at rest (`documents.files`): sealed with the data key of the case's
person (shared/at_rest.py, AES-256-GCM bound to the file id), opened by `open_scan`, the
one way every reader gets a scan's bytes; emptied by the erasure of the case's person.

`size` and `sha256` stay the plaintext's (they are announced on `DocumentReceived` and
checked when a file is served)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from shared.at_rest import KeyBook, open_bytes, seal_bytes, sealer_for
from shared.personal import ERASED_TEXT

CONTENT = "documents.files.content"


async def seal_scan(
    conn: asyncpg.Connection, case_id: UUID, file_id: UUID, content: bytes
) -> tuple[bytes, UUID | None]:
    """(what to store, its subject) for a scan of `case_id`: the case's subject in the
    event store (found, or made for the case), in the caller's transaction."""
    sealer = await sealer_for(conn, case_id, file_id)
    return seal_bytes(sealer, content, CONTENT, file_id), sealer.subject_id


async def open_scan(conn: asyncpg.Connection, row: Mapping[str, Any]) -> bytes | None:
    """A `documents.files` row's bytes (its `file_id`, `subject_id`, `content`,
    `erased_at`) in clear; None once the case's person is erased."""
    if row["erased_at"] is not None:
        return None
    book = await KeyBook.of(conn, [row["subject_id"]])
    return open_bytes(book, row["subject_id"], row["content"], CONTENT, row["file_id"])


async def forget_case_scans(conn: asyncpg.Connection, case_id: UUID) -> int:
    """The case's scans emptied (their key is gone already): their rows, sizes and
    checksums stay, their file names go. Returns how many were still there."""
    return len(
        await conn.fetch(
            """UPDATE documents.files
               SET content = ''::bytea, filename = NULL, erased_at = clock_timestamp()
               WHERE case_id = $1 AND erased_at IS NULL RETURNING file_id""",
            case_id,
        )
    )


async def forget_case_attachment_names(conn: asyncpg.Connection, case_id: UUID) -> None:
    """The names of the files the citizen sent, as listed on the case (their bytes are
    intake's, erased there)."""
    await conn.execute(
        """UPDATE documents.case_attachments SET file_name = $2, failure_message = NULL
           WHERE case_id = $1 AND file_name <> $2""",
        case_id,
        ERASED_TEXT,
    )
