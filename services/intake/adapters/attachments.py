"""Intake's attachment rows: media references waiting to be fetched, fetched bytes,
failures, the announcement on the case, and staff reads (all SQL on the caller's
connection, inside its transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from services.intake.adapters import sealed
from services.intake.domain.attachments import KeptAttachment
from shared.contracts.vocab import Channel


async def add_pending(
    conn: asyncpg.Connection,
    *,
    attachment_id: UUID,
    inbound_id: UUID,
    file_name: str,
    content_type: str,
    media_id: str,
    declared_sha256: str | None,
    position: int,
) -> None:
    """A media reference (WhatsApp): the bytes are fetched later by the media worker."""
    await conn.execute(
        """INSERT INTO intake.inbound_attachments
               (id, inbound_id, file_name, content_type, size_bytes, sha256, content,
                status, media_id, declared_sha256, next_attempt_at, position)
           VALUES ($1, $2, $3, $4, 0, NULL, NULL, 'pending', $5, $6, clock_timestamp(), $7)""",
        attachment_id,
        inbound_id,
        file_name[:255],
        content_type[:255],
        media_id[:255],
        declared_sha256 or None,
        position,
    )


@dataclass(frozen=True)
class DueFetch:
    attachment_id: UUID
    inbound_id: UUID
    channel: str | None
    media_id: str | None
    content_type: str
    declared_sha256: str | None
    attempts: int  # including the one just claimed


async def claim_due(conn: asyncpg.Connection, lease: timedelta) -> DueFetch | None:
    """The next pending media due for a try, counted as tried and leased for `lease` (a
    worker that dies mid-fetch leaves it to be tried again after that)."""
    row = await conn.fetchrow(
        """WITH due AS (
               SELECT a.id FROM intake.inbound_attachments a
                 JOIN intake.inbound_messages q ON q.id = a.inbound_id
               -- only once the message is routed: a redelivery's files are set aside
               -- by the route, never fetched a second time
               WHERE a.status = 'pending' AND a.next_attempt_at <= clock_timestamp()
                 AND q.status <> 'queued'
               ORDER BY a.next_attempt_at LIMIT 1 FOR UPDATE OF a SKIP LOCKED)
           UPDATE intake.inbound_attachments a
           SET attempts = a.attempts + 1, next_attempt_at = clock_timestamp() + $1
           FROM due, intake.inbound_messages m
           WHERE a.id = due.id AND m.id = a.inbound_id
           RETURNING a.id, a.inbound_id, m.channel, a.media_id, a.content_type,
                     a.declared_sha256, a.attempts""",
        lease,
    )
    if row is None:
        return None
    return DueFetch(
        row["id"],
        row["inbound_id"],
        row["channel"],
        row["media_id"],
        row["content_type"],
        row["declared_sha256"],
        row["attempts"],
    )


@dataclass(frozen=True)
class MessageCase:
    case_id: UUID | None
    office: str | None
    correlation_id: UUID | None


async def lock_message_case(conn: asyncpg.Connection, inbound_id: UUID) -> MessageCase:
    """Lock the message row (the router takes it when it decides): whoever of the router
    and the media worker comes second sees the other's work."""
    row = await conn.fetchrow(
        """SELECT case_id, office, correlation_id FROM intake.inbound_messages
           WHERE id = $1 FOR UPDATE""",
        inbound_id,
    )
    if row is None:
        return MessageCase(None, None, None)
    return MessageCase(row["case_id"], row["office"], row["correlation_id"])


async def store_fetched(
    conn: asyncpg.Connection,
    attachment_id: UUID,
    *,
    inbound_id: UUID,
    content: bytes,
    media_type: str,
    sha256: str,
) -> None:
    """The fetched bytes, sealed like their message (`sha256` is the plaintext's)."""
    sealer = await sealed.sealer_of_message(conn, inbound_id)
    await conn.execute(
        """UPDATE intake.inbound_attachments
           SET status = 'stored', content = $2, content_type = $3, sha256 = $4,
               size_bytes = $5, fetched_at = clock_timestamp(), next_attempt_at = NULL,
               failure_reason = NULL, failure_message = NULL
           WHERE id = $1 AND status = 'pending'""",
        attachment_id,
        sealed.seal_attachment(sealer, content, attachment_id),
        media_type,
        sha256,
        len(content),
    )


async def record_failure(
    conn: asyncpg.Connection,
    attachment_id: UUID,
    *,
    reason: str,
    message: str,
    final: bool,
    retry_in: timedelta,
) -> None:
    """A failed try: kept pending with the reason and its next try, or failed for good."""
    await conn.execute(
        """UPDATE intake.inbound_attachments
           SET failure_reason = $2, failure_message = $3,
               status = CASE WHEN $4 THEN 'failed' ELSE status END,
               next_attempt_at = CASE WHEN $4 THEN NULL ELSE clock_timestamp() + $5 END
           WHERE id = $1 AND status = 'pending'""",
        attachment_id,
        reason,
        message[:1000],
        final,
        retry_in,
    )


async def ready_to_announce(conn: asyncpg.Connection, inbound_id: UUID) -> list[KeptAttachment]:
    """The message's attachments whose fate is known and that are not announced yet."""
    rows = await conn.fetch(
        """SELECT a.id, a.inbound_id, m.channel, a.file_name, a.content_type, a.size_bytes,
                  a.sha256, a.status, a.failure_reason, a.failure_message, a.attempts,
                  m.received_at
           FROM intake.inbound_attachments a JOIN intake.inbound_messages m
                ON m.id = a.inbound_id
           WHERE a.inbound_id = $1 AND a.status IN ('stored', 'failed')
                 AND a.announced_at IS NULL
           ORDER BY a.position, a.id""",
        inbound_id,
    )
    return [
        KeptAttachment(
            attachment_id=r["id"],
            inbound_id=r["inbound_id"],
            channel=Channel(r["channel"]),
            file_name=r["file_name"],
            media_type=r["content_type"],
            size_bytes=r["size_bytes"],
            sha256=r["sha256"],
            status=r["status"],
            failure_reason=r["failure_reason"],
            failure_message=r["failure_message"],
            attempts=r["attempts"],
            received_at=r["received_at"],
        )
        for r in rows
        if r["channel"] is not None
    ]


async def mark_announced(conn: asyncpg.Connection, ids: list[UUID]) -> None:
    await conn.execute(
        """UPDATE intake.inbound_attachments SET announced_at = clock_timestamp()
           WHERE id = ANY($1::uuid[])""",
        ids,
    )


@dataclass(frozen=True)
class StoredFile:
    attachment_id: UUID
    case_id: UUID | None
    office: str | None
    anonymous: bool
    confidential: bool
    status: str
    file_name: str
    media_type: str
    sha256: str | None
    content: bytes | None  # opened; None when not stored, or erased
    failure_reason: str | None
    received_at: datetime
    erased: bool = False


async def attachment(conn: asyncpg.Connection, attachment_id: UUID) -> StoredFile | None:
    found = await conn.fetchrow(
        """SELECT a.id, a.id AS attachment_id, a.inbound_id, m.subject_id, m.case_id,
                  m.office, m.anonymous, m.confidential, a.status, a.file_name,
                  a.content_type, a.sha256, a.content, a.failure_reason, m.received_at
           FROM intake.inbound_attachments a JOIN intake.inbound_messages m
                ON m.id = a.inbound_id
           WHERE a.id = $1""",
        attachment_id,
    )
    if found is None:
        return None
    r = await sealed.open_row(conn, found)
    return StoredFile(
        attachment_id=r["id"],
        case_id=r["case_id"],
        office=r["office"],
        anonymous=r["anonymous"],
        confidential=r["confidential"],
        status=r["status"],
        file_name=r["file_name"],
        media_type=r["content_type"],
        sha256=r["sha256"],
        content=r["content"],
        failure_reason=r["failure_reason"],
        received_at=r["received_at"],
        # A file kept in clear before sealing reads as erased once blanked.
        erased=r["erased"] or (r["status"] == "stored" and not r["content"]),
    )


async def record_read(conn: asyncpg.Connection, attachment_id: UUID, actor: str) -> None:
    await conn.execute(
        "INSERT INTO intake.attachment_reads (attachment_id, actor) VALUES ($1, $2)",
        attachment_id,
        actor,
    )


async def set_aside_redelivered(conn: asyncpg.Connection, inbound_id: UUID) -> None:
    """A redelivered message's files are the first delivery's: kept, never announced
    twice, and media not fetched again."""
    await conn.execute(
        """UPDATE intake.inbound_attachments
           SET announced_at = clock_timestamp(),
               status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
               failure_reason = CASE WHEN status = 'pending' THEN 'redelivered'
                                     ELSE failure_reason END,
               next_attempt_at = NULL
           WHERE inbound_id = $1 AND announced_at IS NULL""",
        inbound_id,
    )
