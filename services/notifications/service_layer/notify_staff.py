"""Policy: staff are told too (`domain/staff_notices.py`): assignment to them, a letter
waiting at their step, a letter returned to its drafter, a deadline warning or breach
on their case.

In the consumer's transaction: the facts kept for it (the case's owner, the letter's
chain and drafter), then each notice kept in `notifications.staff_inbox` (its id derived
from the cause event and the recipient: a redelivery changes nothing) and told as
`StaffNotified` on the case's notification stream, which the staff web app follows live.

**E-mail.** A notice is owed by e-mail where the member of staff has an address
(`SLRT_STAFF_EMAILS` until the staff directory of the staff web app provides them): it is
kept `pending` with the reason `awaiting_delivery_worker` for the delivery worker to
send (issue 14's worker; it is not on this branch). Without an address: `no_address`.
Addresses are never logged nor put in events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from services.notifications.adapters import staff_inbox
from services.notifications.adapters.unit_of_work import PostgresNotificationsUnitOfWork
from services.notifications.domain.staff_notices import (
    NoticeKind,
    StaffNotice,
    next_role,
    notice_id,
    staff_id_of,
    text_for,
)
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.casework_events import CaseDelegated, DeadlineBreached, DeadlineWarned
from shared.contracts.documents_events import LetterDraftingAssigned
from shared.contracts.events import (
    CaseAssigned,
    LetterApproved,
    LetterDrafted,
    LetterReturned,
    LetterReviewed,
    StaffNotified,
)
from shared.contracts.streams import notification_stream
from shared.contracts.vocab import Role
from shared.logging import get_logger

log = get_logger(__name__)

ACTOR = "system:notifications"

StaffEvent = (
    CaseAssigned
    | CaseDelegated
    | LetterDraftingAssigned
    | LetterDrafted
    | LetterReviewed
    | LetterReturned
    | LetterApproved
    | DeadlineWarned
    | DeadlineBreached
)


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def notify_staff(
    uow: PostgresNotificationsUnitOfWork,
    event: StaffEvent,
    envelope: EventEnvelope,
    *,
    staff_emails: Mapping[str, str],
) -> None:
    conn = uow.conn
    office = envelope.office or ""
    contact = await uow.contacts.find(event.case_id)
    if contact is not None:
        office = office or contact.office
    ticket = contact.ticket_number if contact is not None else str(event.case_id)[:8]
    cause = envelope.event_id
    notices: list[StaffNotice] = []

    def to_staff(staff: str, kind: NoticeKind, text: str) -> None:
        recipient = notice_id(cause, f"staff:{staff}")
        notices.append(StaffNotice(recipient, event.case_id, office, staff, None, kind, text))

    def waiting(role: Role) -> None:
        to_role(role, "letter_waiting", text_for("letter_waiting", ticket, role=role))

    def to_role(role: Role, kind: NoticeKind, text: str) -> None:
        recipient = notice_id(cause, f"role:{role.value}")
        notices.append(StaffNotice(recipient, event.case_id, office, None, role, kind, text))

    match event:
        case CaseAssigned(assignee=who) | CaseDelegated(assignee=who):
            staff = staff_id_of(who)
            await staff_inbox.set_owner(conn, event.case_id, office, staff)
            to_staff(staff, "case_assigned", text_for("case_assigned", ticket))
        case LetterDraftingAssigned(assignee=who):
            to_staff(staff_id_of(who), "case_assigned", text_for("case_assigned", ticket))
        case LetterDrafted(letter_id=letter, chain=chain, drafted_by=drafter):
            await staff_inbox.keep_chain(conn, letter, event.case_id, chain, drafter)
            if chain:
                to_role(
                    chain[0], "letter_waiting", text_for("letter_waiting", ticket, role=chain[0])
                )
        case LetterReviewed(letter_id=letter, role=role):
            kept = await staff_inbox.chain_of(conn, letter)
            following = next_role(kept[0], role) if kept else None
            if following is not None:
                to_role(
                    following, "letter_waiting", text_for("letter_waiting", ticket, role=following)
                )
        case LetterApproved(letter_id=letter):
            kept = await staff_inbox.chain_of(conn, letter)
            if kept and kept[0]:
                signer = kept[0][-1]
                waiting(signer)
        case LetterReturned(letter_id=letter):
            kept = await staff_inbox.chain_of(conn, letter)
            if kept:
                drafter = staff_id_of(kept[1])
                to_staff(drafter, "letter_returned", text_for("letter_returned", ticket))
        case DeadlineWarned(due_at=due) | DeadlineBreached(due_at=due):
            kind: NoticeKind = (
                "deadline_warning" if isinstance(event, DeadlineWarned) else "deadline_breach"
            )
            owner = await staff_inbox.owner_of(conn, event.case_id)
            text = text_for(kind, ticket, due=_when(due))
            if owner is not None:
                to_staff(owner, kind, text)
            else:  # nobody owns it yet: the front office, whose queue it is in
                to_role(Role.FRONT_OFFICE, kind, text)
    told: list[Event] = []
    for notice in notices:
        email_to = staff_emails.get(notice.staff_id) if notice.staff_id else None
        reason = "awaiting_delivery_worker" if email_to else "no e-mail address known"
        if not await staff_inbox.keep_notice(conn, notice, email_to=email_to, email_reason=reason):
            continue
        told.append(
            StaffNotified(
                case_id=notice.case_id,
                notice_id=notice.notice_id,
                office=notice.office,
                staff_id=notice.staff_id,
                role=notice.role,
                kind=notice.kind,
                email="pending" if email_to else "no_address",
            )
        )
    if not told:
        return
    stream = notification_stream(event.case_id)
    meta = envelope.metadata().caused_by(envelope, ACTOR)
    meta = meta.model_copy(update={"case_id": event.case_id, "office": office or None})
    await uow.notifications.lock(event.case_id)
    await uow.events.append(stream, await uow.events.version(stream), told, meta)
    log.info("staff_notified", notices=len(told), event_type=envelope.event_type)
