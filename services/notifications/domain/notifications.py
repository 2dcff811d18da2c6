"""A case's notifications: the message a told event calls for, and what was sent.

The `notification-<case_id>` stream holds what became of each message (recipient masked):
`NotificationDelivered` when it was handed over (by a provider, or by staff),
`NotificationFailed` with the provider's reason, `NotificationStatusReported` for what the
provider said later (older streams hold `NotificationSent`, folded as delivered). The
decisions below never record one outcome twice.

Notification ids are derived from (cause event, template): the same event can never
produce two different messages, however often it is delivered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID, uuid5

from services.notifications.domain.contacts import CaseContact
from services.notifications.domain.templates import TemplateName
from shared.contracts.base import Event
from shared.contracts.events import (
    DeliveryHow,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    NotificationStatusReported,
)
from shared.contracts.vocab import Channel

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
    letter_id: UUID | None = None  # the signed letter it is about (attached by e-mail)
    # The cause event's global position in the event store: a case's messages go out in
    # the order their causes happened, the receipt first (`adapters/messages.py`).
    cause_position: int | None = None


def message_for(
    cause_event_id: UUID,
    case: CaseContact,
    template: TemplateName,
    body: str,
    letter_id: UUID | None = None,
    *,
    cause_position: int | None = None,
) -> Message:
    return Message(
        notification_id(cause_event_id, template),
        case,
        cause_event_id,
        template,
        body,
        letter_id,
        cause_position,
    )


@dataclass(frozen=True)
class Notice:
    """A message as its stream's events name it: the address only masked."""

    notification_id: UUID
    case_id: UUID
    channel: Channel
    template: str
    recipient: str  # masked


@dataclass(frozen=True)
class CaseNotifications:
    """The state of a case's notification stream: which messages were delivered, which
    failed, and the provider statuses reported for each."""

    sent: frozenset[UUID] = frozenset()
    failed: frozenset[UUID] = frozenset()
    statuses: frozenset[tuple[UUID, str]] = frozenset()


def fold(events: Iterable[Event]) -> CaseNotifications:
    sent: set[UUID] = set()
    failed: set[UUID] = set()
    statuses: set[tuple[UUID, str]] = set()
    for event in events:
        match event:
            case (
                NotificationSent(notification_id=done) | NotificationDelivered(notification_id=done)
            ):
                sent.add(done)
                failed.discard(done)  # staff reached them after all
            case NotificationFailed(notification_id=lost):
                failed.add(lost)
                sent.discard(lost)  # reported failed after it was accepted
            case NotificationStatusReported(notification_id=seen, status=status):
                statuses.add((seen, status))
    return CaseNotifications(frozenset(sent), frozenset(failed), frozenset(statuses))


def record_delivered(
    state: CaseNotifications,
    notice: Notice,
    *,
    how: DeliveryHow,
    provider_message_id: str | None = None,
    attempts: int = 1,
    delivered_by: str | None = None,
) -> list[Event]:
    """`NotificationDelivered`, unless the message was recorded delivered before."""
    if notice.notification_id in state.sent:
        return []
    return [
        NotificationDelivered(
            case_id=notice.case_id,
            notification_id=notice.notification_id,
            channel=notice.channel,
            template=notice.template,
            recipient=notice.recipient,
            how=how,
            provider_message_id=provider_message_id,
            attempts=attempts,
            delivered_by=delivered_by,
        )
    ]


def record_failed(
    state: CaseNotifications,
    notice: Notice,
    *,
    reason: str,
    code: Literal["refused", "retries_exhausted", "reported_failed"],
    attempts: int,
) -> list[Event]:
    """`NotificationFailed`: never twice in a row, and a delivered message fails only when
    its provider reports it failed afterwards."""
    if notice.notification_id in state.failed:
        return []
    if notice.notification_id in state.sent and code != "reported_failed":
        return []
    return [
        NotificationFailed(
            case_id=notice.case_id,
            notification_id=notice.notification_id,
            channel=notice.channel,
            template=notice.template,
            recipient=notice.recipient,
            reason=reason[:1000],
            code=code,
            attempts=attempts,
        )
    ]


def record_status(
    state: CaseNotifications,
    notice: Notice,
    status: Literal["sent", "delivered", "read"],
    at: datetime,
) -> list[Event]:
    """`NotificationStatusReported` once per status the provider reports."""
    if (notice.notification_id, status) in state.statuses:
        return []
    return [
        NotificationStatusReported(
            case_id=notice.case_id,
            notification_id=notice.notification_id,
            channel=notice.channel,
            status=status,
            reported_at=at,
        )
    ]
