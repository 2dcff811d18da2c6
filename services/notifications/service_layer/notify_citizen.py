"""Policy: when a told event happens, record the message that must be sent; the delivery
worker sends it (`deliver_notification.py`), never inside this transaction.

The told events are `ComplaintRegistered`, `DtksNotFound`, `DomicileRefused`,
`LetterSigned`, `LetterIssued`, `ReferralMade`, `CaseForwarded`, `CaseMerged`,
`DuplicateMerged` and `CaseResolved` (not after a signed letter: one message is enough;
`domain.templates.template_for`). What the message asks follows the channel the request
came by (`domain.delivery`): an online request's signed letter goes out as a one-time
download link, minted here for the message; a walk-in's is collected at the office. For
each, in the consumer's transaction (a joined unit of work: the event id is recorded as
processed in the same transaction):

1. the case's contact (`remember_contact`);
2. the message rendered in Bahasa Indonesia and kept under an id derived from (cause
   event, template): a redelivered event finds it kept and does nothing. It is kept as
   `recorded` when there is nobody to contact (anonymous, no address), as a staff `task`
   when the channel has no machine to send to (telephone, walk-in: call back; post:
   print), else `pending`, due now;
3. the worker is woken once the consumer's transaction has committed (`uow.after_commit`):
   woken, it finds the message.

Idempotent per cause event, recipient and channel: the notification id is derived from
the cause event and the template, and a case has one contact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import DownloadLink, LetterLinks
from services.notifications.adapters.public_portal import PublicPortal, SurveyLink
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.domain.contacts import CaseContact
from services.notifications.domain.delivery import delivery_for
from services.notifications.domain.notifications import message_for
from services.notifications.domain.outgoing import task_kind
from services.notifications.domain.templates import (
    DUE_DATE_PENDING,
    MessageFacts,
    MissingItem,
    TemplateName,
    render,
    service_kind,
    tanggal,
    template_for,
)
from services.notifications.service_layer.remember_contact import (
    contact_of_case,
    remember_contact,
)
from shared.contracts.base import EventEnvelope
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseForwarded,
    CaseMerged,
    DuplicateMerged,
)
from shared.contracts.documents_events import DocumentsMissingNoted, LetterIssued
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DomicileRefused,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)
from shared.localtime import local_date
from shared.logging import get_logger

log = get_logger(__name__)

SERVICE = "notifications"
ACTOR = f"system:{SERVICE}"

ToldEvent = (
    ComplaintRegistered
    | DtksNotFound
    | DomicileRefused
    | DocumentsMissingNoted
    | LetterSigned
    | LetterIssued
    | ReferralMade
    | CaseAnswered
    | CaseForwarded
    | CaseMerged
    | DuplicateMerged
    | CaseResolved
)


def message_facts(
    event: ToldEvent,
    citizen: CaseContact,
    directory: OfficeDirectory,
    *,
    link: DownloadLink | None = None,
    other: CaseContact | None = None,
    portal: PublicPortal | None = None,
    survey: SurveyLink | None = None,
) -> MessageFacts:
    """What the message says: the case's ticket, the office's published standard, the
    channel the request came by, and what the event adds (with the download link minted
    for it, and the other case of a merge)."""
    facts = MessageFacts(
        ticket_number=citizen.ticket_number,
        office_name=directory.office_name(citizen.office),
        office_address=directory.office_address(citizen.office),
        service_name=directory.service_name(citizen.office, citizen.service),
        completion_time=directory.completion_time(
            citizen.office, citizen.service, citizen.request_channel
        ),
        request_channel=citizen.request_channel,
        contact_channel=citizen.contact.channel if citizen.contact is not None else None,
        kind=service_kind(directory.workflow(citizen.office, citizen.service)),
    )
    region = directory.region_code(citizen.office) or "31.71"  # unknown office: WIB
    if link is not None:
        facts = replace(
            facts,
            download_link=link.url,
            link_valid_until=tanggal(local_date(link.expires_at, region)),
        )
    if survey is not None:
        facts = replace(
            facts,
            survey_link=survey.url,
            survey_valid_until=tanggal(local_date(survey.expires_at, region)),
        )
    match event:
        case ComplaintRegistered(check_code_sealed=sealed) if portal is not None:
            return replace(
                facts,
                check_code=portal.check_code(sealed, citizen.case_id),
                status_url=portal.status_url(citizen.office),
            )
        case DocumentsMissingNoted(missing=missing):
            # One item per requirement: its alternatives stay together ("KTP atau KK").
            items = tuple(MissingItem(m.names or m.types, m.form) for m in missing)
            return replace(facts, documents=items)
        case DtksNotFound(reason=reason):
            return replace(facts, dtks_reason=reason)
        case DomicileRefused(found_region_code=found, basis=basis):
            elsewhere = directory.office_for_region(found) if found else None
            return replace(
                facts,
                area_name=directory.area_name(citizen.office),
                domicile_basis=basis,
                domicile_found=found is not None,
                other_office_name=elsewhere[0] if elsewhere else None,
                other_office_address=elsewhere[1] if elsewhere else None,
            )
        case (
            LetterSigned(letter_number=number, letter_type=letter_type)
            | LetterIssued(letter_number=number, letter_type=letter_type)
        ):
            name = directory.letter_name(citizen.office, citizen.service, letter_type)
            return replace(facts, letter_number=number, letter_name=name)
        case ReferralMade(agency=agency) | CaseForwarded(forwarded_to=agency):
            return replace(facts, agency_name=directory.agency_name(citizen.office, agency))
        case CaseMerged() | DuplicateMerged():
            # An anonymous report's ticket is never named to anyone.
            shown = other.ticket_number if other is not None and not other.anonymous else None
            return replace(facts, other_ticket=shown)
        case CaseResolved(outcome=outcome):
            return replace(facts, outcome=outcome)
        case CaseAnswered(answer=answer):
            return replace(facts, answer=answer)
        case _:
            return facts


async def _other_case(uow: NotificationsUnitOfWork, event: ToldEvent) -> CaseContact | None:
    """The other case of a merge: the one that continues, or the one merged into this."""
    match event:
        case CaseMerged(merged_into=other_id) | DuplicateMerged(duplicate_case_id=other_id):
            return await contact_of_case(uow, other_id)
        case _:
            return None


def _told_already(event: ToldEvent, citizen: CaseContact, other: CaseContact | None) -> bool:
    """A merge is told once to each person: the case that continues is not told about a
    duplicate from an anonymous report (it would reveal it), nor when the duplicate's
    citizen is reached at the same address (the `case_merged` message told them)."""
    if not isinstance(event, DuplicateMerged) or other is None:
        return False
    if other.anonymous:
        return True
    return (
        other.contact is not None
        and citizen.contact is not None
        and other.contact.address == citizen.contact.address
    )


def _link_needed(template: TemplateName, citizen: CaseContact) -> bool:
    return template == "letter_online" and citizen.contact is not None


# The closing messages: the answer, or the letter (one message is enough), carry the
# satisfaction survey's one-time link.
CLOSING_TEMPLATES = frozenset(
    {"case_resolved", "case_answered", "letter_signed", "letter_online", "letter_posted"}
)


def _survey_needed(template: TemplateName, citizen: CaseContact) -> bool:
    return template in CLOSING_TEMPLATES and citizen.contact is not None


def _no_wake() -> None:
    return None


async def notify_citizen(
    uow: NotificationsUnitOfWork,
    event: ToldEvent,
    envelope: EventEnvelope,
    *,
    directory: OfficeDirectory,
    links: LetterLinks,
    portal: PublicPortal | None = None,
    wake: Callable[[], None] = _no_wake,
) -> None:
    if isinstance(event, ComplaintRegistered):
        citizen = await remember_contact(uow, event)
    else:
        citizen = await contact_of_case(uow, event.case_id)
    template = template_for(event, delivery_for(citizen.request_channel))
    other = await _other_case(uow, event)
    if template is None or _told_already(event, citizen, other):
        log.info("no_message_needed", event_type=envelope.event_type)
        return
    letter_id = event.letter_id if isinstance(event, LetterSigned | LetterIssued) else None
    # A fresh one-time code per message; a redelivered event mints one that is never
    # kept or sent (the message kept the first time wins, below).
    link = (
        links.link_for(letter_id)
        if letter_id is not None and _link_needed(template, citizen)
        else None
    )
    portal = portal or PublicPortal.from_settings()
    survey = (
        portal.survey_link(citizen.office, citizen.ticket_number)
        if _survey_needed(template, citizen)
        else None
    )
    facts = message_facts(
        event, citizen, directory, link=link, other=other, portal=portal, survey=survey
    )
    contact = citizen.contact
    kind = task_kind(contact.channel) if contact is not None else None
    status = "recorded" if contact is None else ("task" if kind else "pending")
    if template == "complaint_registered" and status == "pending":
        # The due date in the office's calendar is casework's to compute: the delivery
        # worker fills it in when it sends (`service_layer/fill_due_date.py`).
        facts = replace(facts, due_date=DUE_DATE_PENDING)
    body = render(template, facts, directory.messages(citizen.office))
    message = message_for(
        envelope.event_id,
        citizen,
        template,
        body,
        letter_id,
        cause_position=envelope.global_position,
    )
    if not await uow.messages.keep(message, status=status, task_kind=kind):
        return  # this message exists already (the cause was applied before)
    if contact is None:
        log.info("notification_kept_no_contact", template=template)
    elif kind is not None:
        log.info("notification_task_opened", template=template, task_kind=kind)
    else:
        log.info("notification_queued", template=template, channel=contact.channel.value)
        uow.after_commit(wake)
