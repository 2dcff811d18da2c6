"""The case's attachments (`documents.case_attachments`): a projection of intake's
`CaseAttachmentReceived` / `CaseAttachmentFetchFailed` and of our own `DocumentReceived`
naming an `attachment_id`; one projection step for the consumer, the accept command and
the rebuild. Also the record of staff reads of the bytes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.documents.adapters import scans
from shared.contracts.attachment_events import CaseAttachmentFetchFailed, CaseAttachmentReceived
from shared.contracts.base import EventEnvelope
from shared.contracts.events import DocumentReceived
from shared.eventstore.store import envelope_from_row
from shared.eventstore.subjects import open_envelopes

_COLUMNS = """global_position, event_id, stream_id, stream_version, event_type,
    schema_version, data, case_id, office, correlation_id, causation_id, actor, channel,
    occurred_at, recorded_at"""


async def project(conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
    """Apply the attachment facts among `envelopes` (others are ignored)."""
    for envelope in envelopes:
        event = envelope.payload()
        match event:
            case CaseAttachmentReceived():
                await conn.execute(
                    """INSERT INTO documents.case_attachments (attachment_id, case_id, office,
                           inbound_id, channel, file_name, media_type, size_bytes, sha256,
                           content_path, status, received_at, announced_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', $11, $12)
                       ON CONFLICT (attachment_id) DO NOTHING""",
                    event.attachment_id,
                    event.case_id,
                    envelope.office,
                    event.inbound_id,
                    event.channel.value,
                    event.file_name,
                    event.media_type,
                    event.size_bytes,
                    event.sha256,
                    event.content_path,
                    event.received_at,
                    envelope.occurred_at,
                )
            case CaseAttachmentFetchFailed():
                await conn.execute(
                    """INSERT INTO documents.case_attachments (attachment_id, case_id, office,
                           inbound_id, channel, file_name, media_type, status, failure_reason,
                           failure_message, attempts, received_at, announced_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, 'fetch_failed', $8, $9, $10, $11,
                               $12)
                       ON CONFLICT (attachment_id) DO NOTHING""",
                    event.attachment_id,
                    event.case_id,
                    envelope.office,
                    event.inbound_id,
                    event.channel.value,
                    event.file_name,
                    event.media_type,
                    event.reason,
                    event.message,
                    event.attempts,
                    event.received_at,
                    envelope.occurred_at,
                )
            case DocumentReceived(attachment_id=UUID() as attachment_id):
                await conn.execute(
                    """UPDATE documents.case_attachments
                       SET accepted_as = $2, accepted_form = $3, accepted_by = $4,
                           accepted_at = $5, file_id = $6
                       WHERE attachment_id = $1""",
                    attachment_id,
                    event.document_type,
                    event.form,
                    event.checked_by,
                    envelope.occurred_at,
                    event.file_id,
                )
            case _:
                pass


async def refold(conn: asyncpg.Connection) -> int:
    """The rebuild: empty the projection and apply every attachment fact again."""
    await conn.execute("LOCK TABLE documents.case_attachments IN ACCESS EXCLUSIVE MODE")
    await conn.execute("DELETE FROM documents.case_attachments")
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM eventstore.events
            WHERE event_type = ANY($1::text[])
               OR (event_type = $2 AND data ? 'attachment_id'
                   AND data ->> 'attachment_id' IS NOT NULL)
            ORDER BY global_position""",
        [CaseAttachmentReceived.event_type, CaseAttachmentFetchFailed.event_type],
        DocumentReceived.event_type,
    )
    await project(conn, await open_envelopes(conn, [envelope_from_row(r) for r in rows]))
    return len(rows)


@dataclass(frozen=True)
class CaseAttachment:
    attachment_id: UUID
    case_id: UUID
    office: str | None
    channel: str
    file_name: str
    media_type: str
    size_bytes: int | None
    sha256: str | None
    content_path: str | None
    status: str
    failure_reason: str | None
    file_id: UUID | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> CaseAttachment:
        return cls(
            attachment_id=row["attachment_id"],
            case_id=row["case_id"],
            office=row["office"],
            channel=row["channel"],
            file_name=row["file_name"],
            media_type=row["media_type"],
            size_bytes=row["size_bytes"],
            sha256=row["sha256"],
            content_path=row["content_path"],
            status=row["status"],
            failure_reason=row["failure_reason"],
            file_id=row["file_id"],
        )


async def get(
    conn: asyncpg.Connection, case_id: UUID, attachment_id: UUID
) -> CaseAttachment | None:
    row = await conn.fetchrow(
        """SELECT * FROM documents.case_attachments
           WHERE case_id = $1 AND attachment_id = $2""",
        case_id,
        attachment_id,
    )
    return CaseAttachment.of(row) if row is not None else None


async def of_case(conn: asyncpg.Connection, case_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT * FROM documents.case_attachments WHERE case_id = $1
           ORDER BY received_at, announced_at, attachment_id""",
        case_id,
    )
    return [_view(r) for r in rows]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _view(r: asyncpg.Record) -> dict[str, Any]:
    accepted = None
    if r["accepted_as"] is not None:
        accepted = {
            "requirement": r["accepted_as"],
            "form": r["accepted_form"],
            "by": r["accepted_by"],
            "at": _iso(r["accepted_at"]),
            "file_id": str(r["file_id"]) if r["file_id"] else None,
        }
    return {
        "attachment_id": str(r["attachment_id"]),
        "inbound_id": str(r["inbound_id"]),
        "channel": r["channel"],
        "file_name": r["file_name"],
        "media_type": r["media_type"],
        "size_bytes": r["size_bytes"],
        "sha256": r["sha256"],
        "status": r["status"],
        "failure": (
            {
                "reason": r["failure_reason"],
                "message": r["failure_message"],
                "attempts": r["attempts"],
            }
            if r["status"] == "fetch_failed"
            else None
        ),
        "received_at": _iso(r["received_at"]),
        "accepted": accepted,
    }


async def record_read(
    conn: asyncpg.Connection, attachment_id: UUID, case_id: UUID, actor: str
) -> None:
    await conn.execute(
        """INSERT INTO documents.attachment_reads (attachment_id, case_id, actor)
           VALUES ($1, $2, $3)""",
        attachment_id,
        case_id,
        actor,
    )


async def file_content(conn: asyncpg.Connection, file_id: UUID) -> bytes | None:
    """An accepted attachment's copy in documents' own store."""
    row = await conn.fetchrow(
        "SELECT file_id, subject_id, content, erased_at FROM documents.files WHERE file_id = $1",
        file_id,
    )
    return await scans.open_scan(conn, row) if row is not None else None
