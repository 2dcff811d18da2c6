"""Use case (a step of others): the files of a message become documents of its case.

Once a message has a case (registered, a reply threaded to one, or classified from
triage) and an attachment's fate is known (its bytes kept, or its fetch failed for good),
`CaseAttachmentReceived` / `CaseAttachmentFetchFailed` is appended on the case's stream,
once per attachment. Whichever comes second announces: the routing of the message (for
files that came with their bytes) or the media worker (for a WhatsApp media fetched
later). Both hold the message's row lock while they look, so neither misses the other.
"""

from __future__ import annotations

from uuid import UUID

from services.intake.adapters import attachments as rows
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.attachments import announcement
from shared.contracts.base import EventMetadata
from shared.contracts.streams import complaint_stream
from shared.logging import get_logger

log = get_logger(__name__)


async def announce_case_attachments(
    uow: IntakeUnitOfWork,
    *,
    inbound_id: UUID,
    case_id: UUID,
    office: str | None,
    correlation_id: UUID,
    actor: str,
    causation_id: UUID | None = None,
) -> int:
    """Append the facts of the message's attachments not yet announced; how many."""
    conn = uow.conn
    ready = await rows.ready_to_announce(conn, inbound_id)
    if not ready:
        return 0
    stream = complaint_stream(case_id)
    meta = EventMetadata(
        case_id=case_id,
        office=office,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        channel=ready[0].channel,
    )
    events = [announcement(case_id, kept) for kept in ready]
    await uow.events.append(stream, await uow.events.version(stream), events, meta)
    await rows.mark_announced(conn, [k.attachment_id for k in ready])
    log.info(
        "case_attachments_announced",
        case_id=str(case_id),
        kept=sum(1 for k in ready if k.status == "stored"),
        failed=sum(1 for k in ready if k.status != "stored"),
    )
    return len(ready)
