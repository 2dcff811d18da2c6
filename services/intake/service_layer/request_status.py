"""Use case: a citizen asks "status LMJ-2026-000123" (or "cek …") through WhatsApp or
e-mail, and is answered through the same channel.

Intake recognises the command when routing the message (`domain.inbound.status_command`;
before a ticket number in the text would make it a reply to the case), and records the
fact `StatusRequested` on the message's stream: the ticket asked, the case of that
ticket at the office whose account it reached (if any), whether the sender is that
case's own citizen (the same phone or e-mail as the citizen's: their keyed hashes in
`intake.citizen_identifiers`) and the sender's own address to answer. Notifications
answers: the status to the case's own citizen, a neutral refusal to anyone else, whether
the ticket is unknown, another office's, or someone else's. The message never becomes a
case or a reply on the case.
"""

from __future__ import annotations

from services.intake.adapters import repository as repo
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.inbound import InboundPayload
from services.intake.domain.registration import normalise_phone
from services.intake.service_layer.receive_inbound import ADAPTER_ACTOR
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.intake_events import InboundReceived, StatusRequested
from shared.contracts.streams import inbound_stream
from shared.logging import get_logger

log = get_logger(__name__)


def _sender_identifiers(payload: InboundPayload) -> set[tuple[str, str]]:
    """The sender as the citizen tables know people: phone (E.164) and e-mail. A NIK
    typed into a message proves nothing and is not used."""
    found: set[tuple[str, str]] = set()
    phone = normalise_phone(payload.sender.phone)
    if phone:
        found.add(("phone", phone))
    if payload.sender.email:
        found.add(("email", payload.sender.email.strip().lower()))
    return found


async def request_status(
    uow: IntakeUnitOfWork,
    envelope: EventEnvelope,
    event: InboundReceived,
    payload: InboundPayload,
    *,
    ticket: str,
    reply_to: str,
) -> None:
    conn = uow.conn
    found = await repo.case_by_ticket(conn, ticket)
    if found is not None and payload.office not in (None, found.office):
        found = None  # another office's ticket is not this office's to talk about
    own = False
    if found is not None:
        own = await repo.is_case_citizen(conn, found.case_id, _sender_identifiers(payload))
    asked = StatusRequested(
        inbound_id=event.inbound_id,
        office=payload.office,
        channel=event.channel,
        ticket_number=ticket,
        case_id=found.case_id if found is not None else None,
        own_citizen=own,
        reply_to=reply_to,
    )
    meta = EventMetadata(
        office=payload.office,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
        actor=ADAPTER_ACTOR,
        channel=event.channel,
    )
    stream = inbound_stream(event.inbound_id)
    await uow.events.append(stream, await uow.events.version(stream), [asked], meta)
    await repo.mark_inbound(
        conn,
        event.inbound_id,
        status="accepted",
        reason="status_request",
        message="A status request: answered through the same channel.",
        case_id=found.case_id if own and found is not None else None,
        office=payload.office,
    )
    log.info("status_requested", own_citizen=own, known_ticket=found is not None)
