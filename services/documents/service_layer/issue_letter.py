"""A signed letter is handed over at the desk or sent (`LetterIssued`), once. The desk
and whoever drafts this service's letters may issue it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.documents.domain import letter as model
from services.documents.domain.commands import IssueLetter
from services.documents.domain.facts import LetterOnFile
from services.documents.service_layer.common import NewUnitOfWork, act_on_letter, chain_plan
from shared.auth import StaffIdentity, authorize
from shared.catalogue import Catalogue
from shared.contracts import case_roles
from shared.contracts.base import Event
from shared.logging import get_logger

log = get_logger(__name__)

# Who may hand a signed letter over: the desk, and whoever drafts letters.
ISSUE_ROLES = case_roles.LETTER_ISSUERS


async def issue_letter(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    cmd: IssueLetter,
    staff: StaffIdentity,
    correlation_id: UUID,
    *,
    now: datetime | None = None,
) -> model.Letter:
    moment = now or datetime.now(UTC)

    def decide(on_file: LetterOnFile) -> list[Event]:
        drafter = chain_plan(catalogue, on_file.case).drafter
        authorize(staff, roles=(*ISSUE_ROLES, drafter))
        return model.issue(on_file.letter, actor=staff.actor, channel=cmd.channel, issued_at=moment)

    letter = await act_on_letter(
        new_uow,
        cmd.letter_id,
        staff,
        correlation_id,
        None,
        decide,
        repository=lambda uow: uow.letters.at(moment),
    )
    log.info("letter_issued", channel=cmd.channel.value)
    return letter
