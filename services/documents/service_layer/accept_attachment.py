"""Use case: staff accept a file the citizen sent as one item of the case's checklist, in
one step (`POST /cases/{id}/attachments/{attachment_id}/accept`).

The same fact as a document recorded at the desk with its scan (`DocumentReceived`),
naming the attachment (`attachment_id`) and keeping its SHA-256: the checklist then shows
it received. The bytes are fetched from intake (the staff member's own token), must be
the ones announced on the case, and must pass the checks a desk scan passes (PDF, JPEG or
PNG by content, not empty); they are copied into documents' own store in the transaction
of the event, like an uploaded scan. Accepting the same file again for the same item
records nothing (200).

Its size was judged at intake's door (a letter's scan and WhatsApp media up to 10 MiB, an
e-mail up to 25 MiB), and a citizen cannot be asked for the same file smaller, so it is
held to the size announced on the case, not to the desk's limit for staff's own scans
(`max_bytes`, `SLRT_DOCUMENTS_MAX_UPLOAD_BYTES`): whatever intake kept can be accepted.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.documents.adapters import attachments as rows
from services.documents.adapters.intake_files import IntakeFiles
from services.documents.adapters.unit_of_work import (
    DocumentsUnitOfWork,
    PostgresDocumentsUnitOfWork,
)
from services.documents.domain.commands import ReceiveDocument
from services.documents.domain.files import check_file
from services.documents.service_layer.common import NewUnitOfWork
from services.documents.service_layer.read_case_attachment import fetch_checked, listed
from services.documents.service_layer.record_document import RECEIVE_ROLES, record_document
from services.documents.service_layer.upload_document import check_before_upload
from shared.auth import StaffIdentity, authorize
from shared.contracts.base import EventEnvelope
from shared.logging import get_logger

log = get_logger(__name__)


async def _project_acceptance(uow: DocumentsUnitOfWork, envelopes: list[EventEnvelope]) -> None:
    assert isinstance(uow, PostgresDocumentsUnitOfWork)
    await rows.project(uow.conn, envelopes)


async def accept_attachment(
    pool: asyncpg.Pool,
    new_uow: NewUnitOfWork,
    intake: IntakeFiles,
    staff: StaffIdentity,
    cmd: ReceiveDocument,
    attachment_id: UUID,
    *,
    authorization: str,
    correlation_id: UUID,
    max_bytes: int,
) -> bool:
    """True when recorded; False when this file was accepted for this item already."""
    found = await listed(pool, cmd.case_id, attachment_id)
    authorize(staff, roles=RECEIVE_ROLES, office=found.office)
    await check_before_upload(new_uow, cmd, staff)  # an unknown item: refused before fetching
    content = await fetch_checked(intake, found, authorization)  # the announced bytes
    limit = max(max_bytes, found.size_bytes or 0)  # the size intake announced: see above
    checked = check_file(
        content, declared_type=found.media_type, filename=found.file_name, max_bytes=limit
    )
    recorded = await record_document(
        new_uow,
        cmd,
        staff,
        correlation_id,
        file=checked,
        attachment_id=attachment_id,
        on_appended=_project_acceptance,
    )
    log.info(
        "attachment_accepted",
        attachment_id=str(attachment_id),
        document_type=cmd.document_type,
        recorded=recorded,
    )
    return recorded
