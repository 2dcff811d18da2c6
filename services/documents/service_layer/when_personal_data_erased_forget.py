"""Policy: when a person's data is erased (PersonalDataErased, crypto-shredding), documents
forgets what it kept of them for that case: the scans' bytes (sealed with the person's key,
which the erasure destroyed, and emptied here too) and their file names, and the names of
the files the citizen sent. Rows, sizes, checksums, statuses and dates stay, so the
checklist and its counts stay right. Idempotent: a redelivery finds nothing left to forget.

Letters are not changed: a signed letter's content is covered by its published hash.
"""

from __future__ import annotations

from services.documents.adapters import scans
from services.documents.adapters.unit_of_work import PostgresDocumentsUnitOfWork
from shared.contracts.erasure_events import PersonalDataErased
from shared.logging import get_logger

log = get_logger(__name__)


async def forget_erased_person(uow: PostgresDocumentsUnitOfWork, event: PersonalDataErased) -> None:
    emptied = await scans.forget_case_scans(uow.conn, event.case_id)
    await scans.forget_case_attachment_names(uow.conn, event.case_id)
    log.info("personal_data_forgotten", case_id=str(event.case_id), scans=emptied)
