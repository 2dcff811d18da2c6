"""Use case: a citizen asked "status <ticket>" through WhatsApp or e-mail
(`StatusRequested`, from intake); answer through the same channel, to the sender.

- The sender is the case's own citizen: the status (the office's words for casework's
  stage, the next step, the due date in the office's calendar, the office's contact),
  from casework's internal read.
- Anyone else, an unknown ticket, another office's ticket: one neutral refusal
  (`status_refused`) that names no ticket and tells nothing about the case; it points to
  the status page, where the check code is needed.

The answer is kept in `notifications.messages` like every message: on the asked case
when there is one (its staff see that someone asked, the address masked), else under
the asking message's id. Nothing is sent here: the answer is kept as pending and the
delivery worker, woken once the consumer's transaction commits, sends it, as it does
every message (`NotificationDelivered` / `NotificationFailed`). A redelivered request
finds its answer kept and does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from services.notifications.adapters.casework_status import CaseworkStatus
from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.public_portal import PublicPortal
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.domain.contacts import CaseContact, Contact
from services.notifications.domain.notifications import message_for
from services.notifications.domain.outgoing import task_kind
from services.notifications.domain.templates import MessageFacts, TemplateName, render, tanggal
from shared.contracts.base import EventEnvelope
from shared.contracts.intake_events import StatusRequested
from shared.localtime import local_date
from shared.logging import get_logger

log = get_logger(__name__)

ACTOR = "system:notifications"


async def answer_status_request(
    uow: NotificationsUnitOfWork,
    event: StatusRequested,
    envelope: EventEnvelope,
    *,
    directory: OfficeDirectory,
    casework: CaseworkStatus,
    portal: PublicPortal,
    wake: Callable[[], None],
) -> None:
    office = event.office or ""
    kept = await uow.contacts.find(event.case_id) if event.case_id else None
    own = event.own_citizen and kept is not None
    template: TemplateName = "status_answer" if own else "status_refused"
    facts = MessageFacts(
        ticket_number=event.ticket_number if own else "",
        office_name=directory.office_name(office),
        office_address=directory.office_address(office),
        request_channel=event.channel,
        status_url=portal.status_url(office),
        office_contact=directory.office_contact(office),
    )
    if own and kept is not None:
        status = await casework.status_of(kept.case_id)
        region = directory.region_code(office) or "31.71"
        due = status.due_at if status is not None else None
        facts = MessageFacts(
            **{
                **facts.__dict__,
                "stage": status.words_key if status is not None else "registered",
                "due_date": tanggal(local_date(due, region)) if due else None,
            }
        )
    case_id = event.case_id or event.inbound_id
    answer_to = CaseContact(
        case_id=case_id,
        office=office,
        service=kept.service if kept else "",
        ticket_number=kept.ticket_number if kept else event.ticket_number,
        request_channel=event.channel,
        contact=Contact(event.channel, event.reply_to),
    )
    await uow.notifications.lock(case_id)
    body = render(template, facts, directory.messages(office))
    message = message_for(
        envelope.event_id, answer_to, template, body, cause_position=envelope.global_position
    )
    kind = task_kind(event.channel)
    if not await uow.messages.keep(message, status="task" if kind else "pending", task_kind=kind):
        return  # answered before (a redelivery)
    uow.after_commit(wake)  # the worker finds the answer once the consumer commits
    log.info("status_request_answered", template=template, channel=event.channel.value)
