"""Use cases: remember how to reach the citizen, and tell them what happened.

`notify_citizen` runs inside the consumer's transaction: the message row, the send, and
the `NotificationSent` event (recipient masked) commit together, and the event id is
recorded as processed in the same transaction. A per-case advisory lock keeps two events
of one case from racing on the `notification-<case_id>` stream, so a message is never
sent and then rolled back by a version conflict.

Delivery to us is at least once: if the transaction fails after a real sender has sent,
the retry sends again with the same notification id (senders use it to deduplicate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

import asyncpg

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.senders import OutgoingMessage, Sender
from services.notifications.domain.contacts import Contact, choose_contact, mask
from services.notifications.domain.templates import (
    MessageFacts,
    TemplateName,
    render,
    template_for,
)
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DtksNotFound,
    LetterSigned,
    NotificationSent,
    ReferralMade,
)
from shared.contracts.vocab import Channel
from shared.eventstore.store import EventStore, read_case, stream_version
from shared.logging import get_logger

log = get_logger(__name__)

SERVICE = "notifications"
ACTOR = f"system:{SERVICE}"
# Notification ids are derived from (cause event, template): the same event can never
# produce two different messages, however often it is delivered.
NOTIFICATION_IDS = UUID("6f0c6f3e-2b1e-4d4b-9a57-5c1f0a3f7e21")
CASE_LOCK_CLASS = 0x4E54_4341  # "NTCA": pg_advisory_xact_lock(class, hashtext(case id))


class RegistrationUnknown(LookupError):
    """An event for a case whose ComplaintRegistered is not in the store."""


@dataclass(frozen=True)
class CaseContact:
    case_id: UUID
    office: str
    service: str
    ticket_number: str
    request_channel: Channel
    contact: Contact | None


def _from_row(row: Any) -> CaseContact:
    contact = Contact(Channel(row["channel"]), row["address"]) if row["address"] else None
    return CaseContact(
        case_id=row["case_id"],
        office=row["office"],
        service=row["service"],
        ticket_number=row["ticket_number"],
        request_channel=Channel(row["request_channel"]),
        contact=contact,
    )


async def _stored_contact(conn: asyncpg.Connection, case_id: UUID) -> CaseContact | None:
    row = await conn.fetchrow(
        """SELECT case_id, office, service, ticket_number, request_channel, channel, address
           FROM notifications.contacts WHERE case_id = $1""",
        case_id,
    )
    return _from_row(row) if row else None


async def remember_contact(conn: asyncpg.Connection, reg: ComplaintRegistered) -> CaseContact:
    contact = choose_contact(
        reg.channel, phone=reg.applicant.phone, email=reg.applicant.email, anonymous=reg.anonymous
    )
    await conn.execute(
        """INSERT INTO notifications.contacts (case_id, office, service, ticket_number,
               request_channel, channel, address, anonymous)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (case_id) DO NOTHING""",
        reg.case_id,
        reg.office,
        reg.service,
        reg.ticket_number,
        reg.channel.value,
        contact.channel.value if contact else None,
        contact.address if contact else None,
        reg.anonymous,
    )
    stored = await _stored_contact(conn, reg.case_id)
    assert stored is not None
    return stored


async def find_contact(conn: asyncpg.Connection, case_id: UUID) -> CaseContact:
    """The case's contact; read from the store when the registration has not reached us yet
    (it travels on another topic than the event that needs it)."""
    stored = await _stored_contact(conn, case_id)
    if stored is not None:
        return stored
    for envelope in await read_case(conn, case_id):
        if envelope.event_type == ComplaintRegistered.event_type:
            reg = envelope.payload()
            assert isinstance(reg, ComplaintRegistered)
            return await remember_contact(conn, reg)
    raise RegistrationUnknown(f"no ComplaintRegistered in the store for case {case_id}")


def message_facts(event: Event, case: CaseContact, directory: OfficeDirectory) -> MessageFacts:
    facts: dict[str, Any] = {
        "ticket_number": case.ticket_number,
        "office_name": directory.office_name(case.office),
        "office_address": directory.office_address(case.office),
        "service_name": directory.service_name(case.office, case.service),
        "completion_time": directory.completion_time(
            case.office, case.service, case.request_channel
        ),
    }
    match event:
        case DtksNotFound(reason=reason):
            facts["dtks_reason"] = reason
        case LetterSigned(letter_number=number, letter_type=letter_type):
            facts["letter_number"] = number
            facts["letter_name"] = directory.letter_name(case.office, case.service, letter_type)
        case ReferralMade(agency=agency):
            facts["agency_name"] = directory.agency_name(case.office, agency)
        case CaseResolved(outcome=outcome):
            facts["outcome"] = outcome
    return MessageFacts(**facts)


async def notify_citizen(
    conn: asyncpg.Connection,
    envelope: EventEnvelope,
    *,
    sender: Sender,
    directory: OfficeDirectory,
    store: EventStore,
) -> None:
    event = envelope.payload()
    if isinstance(event, ComplaintRegistered):
        case = await remember_contact(conn, event)
    else:
        case_id = getattr(event, "case_id", None) or envelope.case_id
        if not isinstance(case_id, UUID):
            raise RegistrationUnknown(f"{envelope.event_type} {envelope.event_id} names no case")
        case = await find_contact(conn, case_id)
    template = template_for(event)
    if template is None:
        log.info("no_message_needed", event_type=envelope.event_type)
        return
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", CASE_LOCK_CLASS, str(case.case_id)
    )
    body = render(template, message_facts(event, case, directory))
    notification_id = uuid5(NOTIFICATION_IDS, f"{envelope.event_id}/{template}")
    if not await _keep_message(conn, notification_id, envelope, case, template, body):
        return  # this message exists already (the cause was applied before)
    if case.contact is None:
        log.info("notification_kept_no_contact", template=template)
        return
    result = await sender.send(
        OutgoingMessage(
            notification_id=notification_id,
            case_id=case.case_id,
            channel=case.contact.channel,
            address=case.contact.address,
            template=template,
            body=body,
        )
    )
    if not result.ok:
        await conn.execute(
            """UPDATE notifications.messages SET status = 'failed', error = $2
               WHERE notification_id = $1""",
            notification_id,
            result.error or "refused by the sender",
        )
        log.warning("notification_failed", template=template, error=result.error)
        return
    await conn.execute(
        """UPDATE notifications.messages SET status = 'sent', sent_at = clock_timestamp()
           WHERE notification_id = $1""",
        notification_id,
    )
    stream = f"notification-{case.case_id}"
    meta = envelope.metadata().caused_by(envelope, ACTOR)
    if meta.case_id is None:
        meta = meta.model_copy(update={"case_id": case.case_id, "office": case.office})
    await store.append(
        conn,
        stream,
        await stream_version(conn, stream),
        [
            NotificationSent(
                case_id=case.case_id,
                notification_id=notification_id,
                channel=case.contact.channel,
                template=template,
                recipient=mask(case.contact.address),
            )
        ],
        meta,
    )
    log.info("notification_sent", template=template, channel=case.contact.channel.value)


async def _keep_message(
    conn: asyncpg.Connection,
    notification_id: UUID,
    envelope: EventEnvelope,
    case: CaseContact,
    template: TemplateName,
    body: str,
) -> bool:
    """Store the message as 'recorded'; False if it was stored before."""
    contact = case.contact
    return bool(
        await conn.fetchval(
            """INSERT INTO notifications.messages (notification_id, case_id, cause_event_id,
                   channel, recipient, recipient_masked, template, body, status)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'recorded')
               ON CONFLICT (notification_id) DO NOTHING RETURNING true""",
            notification_id,
            case.case_id,
            envelope.event_id,
            contact.channel.value if contact else None,
            contact.address if contact else None,
            mask(contact.address) if contact else None,
            template,
            body,
        )
    )
