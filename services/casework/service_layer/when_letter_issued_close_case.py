"""Policy: the signed letter was handed over or sent, so the case its letter resolved is
closed, once (`lifecycle.close_when_letter_issued`).

Runs in the consumer's transaction (a joined unit of work, one attempt: the consumer
retries the whole event), after the fact itself was projected. The decision folds the
case first, so a redelivery, or a case closed or reopened meanwhile, closes nothing.
Never run by a rebuild.
"""

from __future__ import annotations

from services.casework.domain.lifecycle import SYSTEM_ACTOR, close_when_letter_issued
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.unit_of_work import CaseworkUnitOfWork, cases_of
from shared.contracts.base import EventEnvelope
from shared.contracts.documents_events import LetterIssued
from shared.logging import get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)


async def when_letter_issued_close_case(
    uow: CaseworkUnitOfWork,
    standards: CaseStandards,
    issued: LetterIssued,
    envelope: EventEnvelope,
) -> None:
    meta = envelope.metadata().caused_by(envelope, SYSTEM_ACTOR)
    meta = meta.model_copy(update={"case_id": issued.case_id})
    done = await decide_and_append(
        lambda: uow,
        cases_of,
        issued.case_id,
        lambda state: close_when_letter_issued(
            state,
            goes_on_after_letter=standards.goes_on_after_letter(state),
            channel=issued.channel.value,
        ),
        meta,
        attempts=1,
    )
    if done:
        log.info("case_closed_by_policy", letter_number=issued.letter_number)
    else:
        log.info("case_left_as_it_is", letter_number=issued.letter_number)
