"""Policy: when a person's data is erased (PersonalDataErased, crypto-shredding), intake
forgets what it kept of them for that case: the raw message and its attachments, the
triage summary, the registration's NIK and phone, the person's identifiers."""

from __future__ import annotations

from services.intake.adapters import erasure
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from shared.contracts.erasure_events import PersonalDataErased
from shared.logging import get_logger

log = get_logger(__name__)


async def forget_erased_person(uow: IntakeUnitOfWork, event: PersonalDataErased) -> None:
    await erasure.forget_case_person(uow.conn, event.case_id)
    log.info("personal_data_forgotten", case_id=str(event.case_id))
