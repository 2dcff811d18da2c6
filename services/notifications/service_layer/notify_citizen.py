"""Policy: when a told event happens, record the message to send, send it, and record
that it was sent.

The told events are `ComplaintRegistered`, `DtksNotFound`, `LetterSigned`,
`ReferralMade` and `CaseResolved` (not after a signed letter: one message is enough;
`domain.templates.template_for`). For each, in the consumer's transaction (a joined
unit of work: the event id is recorded as processed in the same transaction):

1. the case's contact (`remember_contact`);
2. a per-case lock, so two events of one case queue instead of racing on the
   `notification-<case_id>` stream (a message is never sent and then rolled back by a
   version conflict);
3. the message rendered in Bahasa Indonesia and kept as `recorded` under an id derived
   from (cause event, template): a redelivered event finds it kept and does nothing;
4. no contact (anonymous, or no phone or e-mail): kept, nobody is contacted;
5. the `Sender` takes it (`sent`) or refuses it for good (`failed`, with its reason);
6. sent: `NotificationSent` (recipient masked) is decided on the case's notification
   stream and appended through `decide_and_append` (attempts=1: the consumer retries).

Delivery to us is at least once: if the transaction fails after a real sender has sent,
the retry sends again with the same notification id (senders use it to deduplicate).
"""

from __future__ import annotations

from dataclasses import replace

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.senders import OutgoingMessage, Sender
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.domain.contacts import CaseContact
from services.notifications.domain.notifications import message_for, record_sent
from services.notifications.domain.templates import MessageFacts, render, template_for
from services.notifications.service_layer.remember_contact import (
    contact_of_case,
    remember_contact,
)
from shared.contracts.base import EventEnvelope
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)
from shared.logging import get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)

SERVICE = "notifications"
ACTOR = f"system:{SERVICE}"

ToldEvent = ComplaintRegistered | DtksNotFound | LetterSigned | ReferralMade | CaseResolved


def message_facts(
    event: ToldEvent, citizen: CaseContact, directory: OfficeDirectory
) -> MessageFacts:
    """What the message says: the case's ticket, the office's published standard, and
    what the event adds."""
    facts = MessageFacts(
        ticket_number=citizen.ticket_number,
        office_name=directory.office_name(citizen.office),
        office_address=directory.office_address(citizen.office),
        service_name=directory.service_name(citizen.office, citizen.service),
        completion_time=directory.completion_time(
            citizen.office, citizen.service, citizen.request_channel
        ),
    )
    match event:
        case DtksNotFound(reason=reason):
            return replace(facts, dtks_reason=reason)
        case LetterSigned(letter_number=number, letter_type=letter_type):
            name = directory.letter_name(citizen.office, citizen.service, letter_type)
            return replace(facts, letter_number=number, letter_name=name)
        case ReferralMade(agency=agency):
            return replace(facts, agency_name=directory.agency_name(citizen.office, agency))
        case CaseResolved(outcome=outcome):
            return replace(facts, outcome=outcome)
        case _:
            return facts


async def notify_citizen(
    uow: NotificationsUnitOfWork,
    event: ToldEvent,
    envelope: EventEnvelope,
    *,
    sender: Sender,
    directory: OfficeDirectory,
) -> None:
    if isinstance(event, ComplaintRegistered):
        citizen = await remember_contact(uow, event)
    else:
        citizen = await contact_of_case(uow, event.case_id)
    template = template_for(event)
    if template is None:
        log.info("no_message_needed", event_type=envelope.event_type)
        return
    await uow.notifications.lock(citizen.case_id)
    body = render(template, message_facts(event, citizen, directory))
    message = message_for(envelope.event_id, citizen, template, body)
    if not await uow.messages.keep(message):
        return  # this message exists already (the cause was applied before)
    if citizen.contact is None:
        log.info("notification_kept_no_contact", template=template)
        return
    result = await sender.send(
        OutgoingMessage(
            notification_id=message.notification_id,
            case_id=citizen.case_id,
            channel=citizen.contact.channel,
            address=citizen.contact.address,
            template=template,
            body=body,
        )
    )
    if not result.ok:
        await uow.messages.mark_failed(
            message.notification_id, result.error or "refused by the sender"
        )
        log.warning("notification_failed", template=template, error=result.error)
        return
    await uow.messages.mark_sent(message.notification_id)
    meta = envelope.metadata().caused_by(envelope, ACTOR)
    if meta.case_id is None:
        meta = meta.model_copy(update={"case_id": citizen.case_id, "office": citizen.office})
    await decide_and_append(
        lambda: uow,
        lambda u: u.notifications,
        citizen.case_id,
        lambda state: record_sent(state, message),
        meta,
        attempts=1,
    )
    log.info("notification_sent", template=template, channel=citizen.contact.channel.value)
