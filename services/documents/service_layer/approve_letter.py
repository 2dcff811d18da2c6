"""The official of the letter's current step approves it (`LetterReviewed`, and
`LetterApproved` when only the signature is left)."""

from __future__ import annotations

from uuid import UUID

from services.documents.domain import letter as model
from services.documents.domain.commands import ApproveLetter
from services.documents.service_layer.common import (
    NewUnitOfWork,
    act_on_letter,
    separation_of_duties,
)
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue
from shared.logging import get_logger

log = get_logger(__name__)


async def approve_letter(
    new_uow: NewUnitOfWork,
    cmd: ApproveLetter,
    staff: StaffIdentity,
    correlation_id: UUID,
    catalogue: Catalogue | None = None,
) -> model.Letter:
    """`catalogue`: where the office says whether one person may take two steps
    (`separation_of_duties`; without it, the rule holds)."""
    letter = await act_on_letter(
        new_uow,
        cmd.letter_id,
        staff,
        correlation_id,
        cmd.expected_version,
        lambda on_file: model.approve(
            on_file.letter,
            actor=staff.actor,
            roles=staff.roles,
            comment=cmd.comment,
            separation_of_duties=separation_of_duties(catalogue, on_file.case.office),
        ),
    )
    log.info("letter_reviewed", status=letter.status)
    return letter
