"""Policy: a signed letter is the service delivered, so the case is resolved, once.

Runs in the consumer's transaction (a joined unit of work, one attempt: the consumer
retries the whole event), after the fact itself was projected. The decision folds the
case first, so a second LetterSigned or a redelivery resolves nothing. Never run by a
rebuild.
"""

from __future__ import annotations

from services.casework.domain.lifecycle import SYSTEM_ACTOR, resolve_when_letter_signed
from services.casework.service_layer.unit_of_work import CaseworkUnitOfWork, cases_of
from shared.contracts.base import EventEnvelope
from shared.contracts.events import LetterSigned
from shared.logging import get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)


async def when_letter_signed_resolve_case(
    uow: CaseworkUnitOfWork, signed: LetterSigned, envelope: EventEnvelope
) -> None:
    meta = envelope.metadata().caused_by(envelope, SYSTEM_ACTOR)
    meta = meta.model_copy(update={"case_id": signed.case_id})
    done = await decide_and_append(
        lambda: uow, cases_of, signed.case_id, resolve_when_letter_signed, meta, attempts=1
    )
    if done:
        log.info("case_resolved_by_policy", letter_number=signed.letter_number)
    else:
        log.info("case_already_resolved")
