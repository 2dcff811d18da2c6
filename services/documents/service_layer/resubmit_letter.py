"""The drafter's role (where a disposition named the drafter: the official who drafted
it) sends a returned letter up its chain again, from step 1, possibly with corrected text
(a new `LetterDrafted` on the same stream)."""

from __future__ import annotations

from uuid import UUID

from services.documents.domain import letter as model
from services.documents.domain.commands import ResubmitLetter
from services.documents.domain.facts import LetterOnFile
from services.documents.service_layer.common import NewUnitOfWork, act_on_letter, chain_plan
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue
from shared.contracts.base import Event
from shared.logging import get_logger

log = get_logger(__name__)


async def resubmit_letter(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    cmd: ResubmitLetter,
    staff: StaffIdentity,
    correlation_id: UUID,
) -> model.Letter:
    def decide(on_file: LetterOnFile) -> list[Event]:
        return model.resubmit(
            on_file.letter,
            actor=staff.actor,
            roles=staff.roles,
            plan=chain_plan(catalogue, on_file.case),
            subject=cmd.subject,
            body=cmd.body,
        )

    letter = await act_on_letter(
        new_uow, cmd.letter_id, staff, correlation_id, cmd.expected_version, decide
    )
    log.info("letter_drafted", status=letter.status, revision=letter.revision)
    return letter
