"""Use case: staff read the bytes of a file a citizen sent (documents lists it on the case
and fetches it from here with the staff member's own token).

Staff of the message's office, in any role that reads case files; a file of an anonymous
or confidential report only by the complaint officer or an administrator (like the raw
message). Every read is recorded (`intake.attachment_reads`) and logged.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.intake.adapters import attachments as rows
from services.intake.adapters.attachments import StoredFile
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from shared.auth import StaffIdentity, authorize
from shared.contracts.vocab import NO_CASE_ROLES, Role
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)

READ_ROLES = tuple(r for r in Role if r is not Role.ANALYST and r not in NO_CASE_ROLES)
RESTRICTED_ROLES = (Role.COMPLAINT_OFFICER, Role.ADMIN)


async def read_attachment(
    new_uow: Callable[[], IntakeUnitOfWork], staff: StaffIdentity, attachment_id: UUID
) -> StoredFile:
    async with new_uow() as uow:
        found = await rows.attachment(uow.conn, attachment_id)
        if found is None:
            raise Refused.not_found(
                "attachment_not_found", f"No attachment {attachment_id} is kept here."
            )
        if found.office is None:
            authorize(staff, roles=[Role.ADMIN])
        else:
            authorize(staff, roles=READ_ROLES, office=found.office)
        if (found.anonymous or found.confidential) and not staff.has_any(RESTRICTED_ROLES):
            raise Refused.forbidden(
                "wrong_role",
                "A file of an anonymous or confidential report is for the complaint officer.",
                {"allowed": [r.value for r in RESTRICTED_ROLES]},
            )
        if found.erased:
            raise Refused(
                "personal_data_erased",
                "The file's personal data was erased (UU 27/2022): it can no longer be read.",
                status=410,
            )
        if found.status != "stored" or found.content is None:
            raise Refused.conflict(
                "attachment_not_fetched",
                "The file could not be fetched from the channel."
                if found.status == "failed"
                else "The file is still being fetched from the channel.",
                {"status": found.status, "reason": found.failure_reason},
            )
        await rows.record_read(uow.conn, attachment_id, staff.actor)
        await uow.commit()
    log.info(
        "attachment_read",
        attachment_id=str(attachment_id),
        case_id=str(found.case_id) if found.case_id else None,
        actor=staff.actor,
    )
    return found
