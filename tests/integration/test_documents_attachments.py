"""Documents' list of a case's attachments is a projection: the consumer's step and the
rebuild give the same rows (intake's facts and staff's acceptance), on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest

from services.documents.adapters import attachments
from services.documents.bootstrap import MIGRATIONS
from shared.contracts.attachment_events import CaseAttachmentFetchFailed, CaseAttachmentReceived
from shared.contracts.base import EventMetadata
from shared.contracts.events import DocumentReceived
from shared.contracts.streams import checklist_stream, complaint_stream
from shared.contracts.vocab import Channel
from shared.eventstore.store import EventStore
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration


async def test_the_attachment_list_rebuilds_to_what_was_projected(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await migrate_service(database_url, "intake", None)
    await migrate_service(database_url, "documents", MIGRATIONS)
    case_id, kept, failed = uuid4(), uuid4(), uuid4()
    at = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    meta = EventMetadata(
        case_id=case_id, office="mataram", correlation_id=uuid4(), actor="intake:adapter"
    )
    intake, documents = EventStore("intake"), EventStore("documents")
    async with pool.acquire() as conn, conn.transaction():
        announced = await intake.append(
            conn,
            complaint_stream(case_id),
            0,
            [
                CaseAttachmentReceived(
                    case_id=case_id,
                    attachment_id=kept,
                    inbound_id=uuid4(),
                    channel=Channel.EMAIL,
                    file_name="surat-kehilangan.pdf",
                    media_type="application/pdf",
                    size_bytes=1234,
                    sha256="a" * 64,
                    content_path=f"/v1/attachments/{kept}",
                    received_at=at,
                ),
                CaseAttachmentFetchFailed(
                    case_id=case_id,
                    attachment_id=failed,
                    inbound_id=uuid4(),
                    channel=Channel.WHATSAPP,
                    file_name="image-1",
                    media_type="image/jpeg",
                    reason="media_not_found",
                    attempts=1,
                    received_at=at,
                ),
            ],
            meta,
        )
        await attachments.project(conn, announced)
        accepted = await documents.append(
            conn,
            checklist_stream(case_id),
            0,
            [
                DocumentReceived(
                    case_id=case_id,
                    document_type="police_loss_report",
                    form="original",
                    checked_by="staff:mtr-fo",
                    file_id=uuid4(),
                    file_sha256="a" * 64,
                    file_content_type="application/pdf",
                    file_size=1234,
                    attachment_id=kept,
                )
            ],
            meta.model_copy(update={"actor": "staff:mtr-fo"}),
        )
        await attachments.project(conn, accepted)
        live = await attachments.of_case(conn, case_id)
        assert sorted(a["status"] for a in live) == ["fetch_failed", "received"]
        by_id = {a["attachment_id"]: a for a in live}
        assert by_id[str(kept)]["accepted"]["requirement"] == "police_loss_report"
        assert by_id[str(failed)]["failure"]["reason"] == "media_not_found"

        assert await attachments.refold(conn) == 3
        assert await attachments.of_case(conn, case_id) == live
