"""Policy: intake announced a file the citizen sent on a case (`CaseAttachmentReceived`),
or that it could not be fetched (`CaseAttachmentFetchFailed`) → list it on the case, for
staff to look at and accept against a checklist item. A projection, in the consumer's
transaction (a redelivery changes nothing)."""

from __future__ import annotations

from services.documents.adapters import attachments
from services.documents.adapters.unit_of_work import PostgresDocumentsUnitOfWork
from shared.contracts.base import EventEnvelope
from shared.logging import get_logger

log = get_logger(__name__)


async def when_case_attachment_announced_record(
    uow: PostgresDocumentsUnitOfWork, envelope: EventEnvelope
) -> None:
    await attachments.project(uow.conn, [envelope])
    log.info("case_attachment_listed", case_id=str(envelope.case_id), fact=envelope.event_type)
