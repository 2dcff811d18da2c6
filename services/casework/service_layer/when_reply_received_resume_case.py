"""Policy: the citizen wrote again, so a case waiting for the citizen runs again.

Runs in the consumer's transaction (a joined unit of work, one attempt); a reply to a
case that is not waiting for the citizen changes nothing.
"""

from __future__ import annotations

from services.casework.domain.lifecycle import SYSTEM_ACTOR, resume_on_reply
from services.casework.service_layer.unit_of_work import CaseworkUnitOfWork, cases_of
from shared.contracts.base import EventEnvelope
from shared.contracts.intake_events import ReplyReceived
from shared.logging import get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)


async def when_reply_received_resume_case(
    uow: CaseworkUnitOfWork, reply: ReplyReceived, envelope: EventEnvelope
) -> None:
    meta = envelope.metadata().caused_by(envelope, SYSTEM_ACTOR)
    meta = meta.model_copy(update={"case_id": reply.case_id})
    done = await decide_and_append(
        lambda: uow, cases_of, reply.case_id, resume_on_reply, meta, attempts=1
    )
    log.info("reply_received", resumed=bool(done))
