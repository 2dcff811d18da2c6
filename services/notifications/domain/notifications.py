"""A case's notifications: the message a told event calls for, and what was sent.

The `notification-<case_id>` stream holds one `NotificationSent` per message that left
the building (recipient masked). Its state is the set of notification ids already sent;
`record_sent` decides on it, so a message is never recorded as sent twice.

Notification ids are derived from (cause event, template): the same event can never
produce two different messages, however often it is delivered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID, uuid5

from services.notifications.domain.contacts import CaseContact, mask
from services.notifications.domain.templates import TemplateName
from shared.contracts.base import Event
from shared.contracts.events import NotificationSent

NOTIFICATION_IDS = UUID("6f0c6f3e-2b1e-4d4b-9a57-5c1f0a3f7e21")


def notification_id(cause_event_id: UUID, template: TemplateName) -> UUID:
    return uuid5(NOTIFICATION_IDS, f"{cause_event_id}/{template}")


@dataclass(frozen=True)
class Message:
    """One rendered message for a citizen, kept whether or not it can be sent."""

    notification_id: UUID
    case: CaseContact
    cause_event_id: UUID
    template: TemplateName
    body: str  # Bahasa Indonesia


def message_for(
    cause_event_id: UUID, case: CaseContact, template: TemplateName, body: str
) -> Message:
    return Message(notification_id(cause_event_id, template), case, cause_event_id, template, body)


@dataclass(frozen=True)
class CaseNotifications:
    """The state of a case's notification stream: which messages were sent."""

    sent: frozenset[UUID] = frozenset()


def fold(events: Iterable[Event]) -> CaseNotifications:
    sent: set[UUID] = set()
    for event in events:
        match event:
            case NotificationSent(notification_id=sent_id):
                sent.add(sent_id)
    return CaseNotifications(frozenset(sent))


def record_sent(state: CaseNotifications, message: Message) -> list[Event]:
    """`NotificationSent` for a message the sender took, unless it was recorded before."""
    contact = message.case.contact
    if contact is None or message.notification_id in state.sent:
        return []
    return [
        NotificationSent(
            case_id=message.case.case_id,
            notification_id=message.notification_id,
            channel=contact.channel,
            template=message.template,
            recipient=mask(contact.address),
        )
    ]
