"""Record a checked document with its scan: refuse an unknown type or a wrong form before
the upload is read, then record it as `record_document` does, keeping the scan."""

from __future__ import annotations

from uuid import UUID

from services.documents.domain import checklist as model
from services.documents.domain.commands import ReceiveDocument
from services.documents.domain.files import CheckedFile
from services.documents.service_layer.common import NewUnitOfWork
from services.documents.service_layer.record_document import RECEIVE_ROLES, record_document
from shared.auth import StaffIdentity, authorize


async def check_before_upload(
    new_uow: NewUnitOfWork, cmd: ReceiveDocument, staff: StaffIdentity
) -> None:
    """Refuse an unknown document type or a wrong form before an upload is read."""
    async with new_uow() as uow:
        on_file = await uow.checklists.peek(cmd.case_id)
    authorize(staff, roles=RECEIVE_ROLES, office=on_file.case.office)
    model.check_document(on_file.checklist, document_type=cmd.document_type, form=cmd.form)


async def upload_document(
    new_uow: NewUnitOfWork,
    cmd: ReceiveDocument,
    staff: StaffIdentity,
    correlation_id: UUID,
    file: CheckedFile,
) -> bool:
    """The document with its checked scan; False when this scan was recorded already."""
    return await record_document(new_uow, cmd, staff, correlation_id, file=file)
