"""An in-memory notifications unit of work: the use cases run on it without PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

from services.notifications.adapters.messages import KeptStatus
from services.notifications.adapters.provider_statuses import ProviderStatus
from services.notifications.adapters.repository import NotificationRepository, no_lock
from services.notifications.adapters.senders import (
    OneSender,
    OutgoingMessage,
    RecordingSender,
    Sender,
    SendResult,
)
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork, Transaction
from services.notifications.domain.contacts import CaseContact, mask
from services.notifications.domain.notifications import Message, Notice
from services.notifications.domain.outgoing import (
    RECEIPT,
    RECEIPT_WAIT_SECONDS,
    RetryPolicy,
    case_order,
    held_for_receipt,
)
from services.notifications.service_layer.deliver_notification import deliver_next
from shared.contracts.vocab import Channel
from shared.unit_of_work import InMemoryEventLog, InMemoryUnitOfWork


class InMemoryContactBook:
    def __init__(self) -> None:
        self.kept: dict[UUID, CaseContact] = {}

    async def remember(self, case: CaseContact) -> CaseContact:
        return self.kept.setdefault(case.case_id, case)

    async def find(self, case_id: UUID) -> CaseContact | None:
        return self.kept.get(case_id)

    async def heard_from(self, case_id: UUID, channel: Channel, at: datetime) -> None:
        kept = self.kept.get(case_id)
        if kept is None or kept.contact is None or kept.contact.channel != channel:
            return
        last = max(filter(None, (kept.last_inbound_at, at)))
        self.kept[case_id] = CaseContact(**{**kept.__dict__, "last_inbound_at": last})


@dataclass
class KeptMessage:
    message: Message
    status: str = "recorded"
    error: str | None = None
    task_kind: str | None = None
    reason: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    provider_message_id: str | None = None
    how: str | None = None
    by: str | None = None
    provider_status: str | None = None
    order: int = field(default=0)
    kept_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class InMemoryMessageStore:
    def __init__(self) -> None:
        self.kept: dict[UUID, KeptMessage] = {}

    async def keep(self, message: Message, *, status: str, task_kind: str | None) -> bool:
        if message.notification_id in self.kept:
            return False
        self.kept[message.notification_id] = KeptMessage(
            message,
            status=status,
            task_kind=task_kind,
            next_attempt_at=datetime.now(UTC) if status == "pending" else None,
            order=len(self.kept),
        )
        return True

    def _in_case_order(self, k: KeptMessage) -> tuple[bool, int, datetime, int]:
        m = k.message
        return (*case_order(m.template, m.cause_position, k.kept_at), k.order)

    def _waits(self, k: KeptMessage, now: datetime, receipt_wait: float) -> bool:
        """Held for the case's receipt, or behind a pending message before it."""
        case = self.of_case(k.message.case.case_id)
        if held_for_receipt(
            k.message.template,
            receipt_kept=any(o.message.template == RECEIPT for o in case),
            kept_at=k.kept_at,
            now=now,
            wait_seconds=receipt_wait,
        ):
            return True
        return any(
            o.status == "pending"
            and o.next_attempt_at is not None
            and self._in_case_order(o) < self._in_case_order(k)
            for o in case
        )

    async def claim_due(
        self, *, receipt_wait: float = RECEIPT_WAIT_SECONDS
    ) -> OutgoingMessage | None:
        now = datetime.now(UTC)
        due = sorted(
            (
                k
                for k in self.kept.values()
                if k.status == "pending"
                and k.next_attempt_at
                and k.next_attempt_at <= now
                and not self._waits(k, now, receipt_wait)
            ),
            key=lambda k: (k.next_attempt_at or now, k.order),
        )
        if not due:
            return None
        k = due[0]
        m, contact = k.message, k.message.case.contact
        assert contact is not None
        return OutgoingMessage(
            notification_id=m.notification_id,
            case_id=m.case.case_id,
            channel=contact.channel,
            address=contact.address,
            template=m.template,
            body=m.body,
            office=m.case.office,
            ticket_number=m.case.ticket_number,
            service=m.case.service,
            thread_ref=m.case.thread_ref,
            last_inbound_at=m.case.last_inbound_at,
            letter_id=m.letter_id,
            attempts=k.attempts,
        )

    async def set_body(self, notification_id: UUID, body: str) -> None:
        k = self.kept[notification_id]
        k.message = replace(k.message, body=body)

    async def park(self, notification_id: UUID, reason: str) -> None:
        k = self.kept[notification_id]
        k.next_attempt_at, k.reason = None, reason

    async def reschedule(
        self, notification_id: UUID, *, attempts: int, at: datetime, reason: str
    ) -> None:
        k = self.kept[notification_id]
        k.attempts, k.next_attempt_at, k.reason = attempts, at, reason

    async def mark_sent(
        self,
        notification_id: UUID,
        *,
        attempts: int,
        provider_message_id: str | None,
        how: str,
        by: str | None = None,
    ) -> None:
        k = self.kept[notification_id]
        k.status, k.attempts, k.provider_message_id, k.how, k.by = (
            "sent",
            attempts,
            provider_message_id,
            how,
            by,
        )
        k.next_attempt_at = k.reason = k.error = None

    async def mark_failed(self, notification_id: UUID, error: str, *, attempts: int) -> None:
        k = self.kept[notification_id]
        k.status, k.error, k.attempts, k.next_attempt_at = "failed", error, attempts, None

    def _status(self, k: KeptMessage) -> KeptStatus | None:
        contact = k.message.case.contact
        if contact is None:
            return None
        notice = Notice(
            k.message.notification_id,
            k.message.case.case_id,
            contact.channel,
            k.message.template,
            mask(contact.address),
        )
        return KeptStatus(notice, k.message.case.office, k.status, k.attempts)

    async def lock(self, notification_id: UUID) -> KeptStatus | None:
        k = self.kept.get(notification_id)
        return self._status(k) if k else None

    async def lock_by_provider_id(
        self, channel: Channel, provider_message_id: str
    ) -> KeptStatus | None:
        for k in self.kept.values():
            contact = k.message.case.contact
            if (
                contact
                and contact.channel == channel
                and k.provider_message_id == (provider_message_id)
            ):
                return self._status(k)
        return None

    async def set_provider_status(self, notification_id: UUID, status: str, at: datetime) -> None:
        self.kept[notification_id].provider_status = status

    def of_case(self, case_id: UUID) -> list[KeptMessage]:
        return [m for m in self.kept.values() if m.message.case.case_id == case_id]


class InMemoryProviderStatuses:
    def __init__(self) -> None:
        self.kept: dict[tuple[str, str, str], tuple[ProviderStatus, bool]] = {}

    async def keep(self, status: ProviderStatus, event_id: UUID) -> bool:
        key = (status.channel.value, status.provider_message_id, status.status)
        if key in self.kept:
            return False
        self.kept[key] = (status, False)
        return True

    async def unapplied(self, channel: Channel, provider_message_id: str) -> list[ProviderStatus]:
        return [
            s
            for (c, pid, _), (s, applied) in self.kept.items()
            if c == channel.value and pid == provider_message_id and not applied
        ]

    async def applied(self, status: ProviderStatus) -> None:
        key = (status.channel.value, status.provider_message_id, status.status)
        self.kept[key] = (status, True)


class FakeNotificationsUnitOfWork(InMemoryUnitOfWork, NotificationsUnitOfWork):
    def __init__(self, events: InMemoryEventLog | None = None) -> None:
        super().__init__(events or InMemoryEventLog("notifications"))
        self.contacts: InMemoryContactBook = InMemoryContactBook()
        self.messages: InMemoryMessageStore = InMemoryMessageStore()
        self.statuses: InMemoryProviderStatuses = InMemoryProviderStatuses()
        self.notifications = NotificationRepository(self.events, no_lock)
        self.after_commits: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        self.after_commits.append(callback)

    async def commit(self) -> None:
        await super().commit()
        callbacks, self.after_commits = self.after_commits, []
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        await super().rollback()
        self.after_commits = []


class RefusingSender(RecordingSender):
    """Records everything; the provider refuses one address for good."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def send(self, message: OutgoingMessage) -> SendResult:
        if message.address == self.refused:
            return SendResult(ok=False, error="number not on WhatsApp")
        return await super().send(message)


def in_memory_transactions(uow: FakeNotificationsUnitOfWork) -> Transaction:
    """The fake as a transaction the use case is given: committed when the block ends."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[NotificationsUnitOfWork]:
        try:
            yield uow
        except BaseException:
            await uow.rollback()
            raise
        await uow.commit()

    return transaction


async def deliver_all(
    uow: FakeNotificationsUnitOfWork, sender: Sender, policy: RetryPolicy | None = None
) -> int:
    """Run the delivery worker's use case until nothing is due; how many it handled."""
    done = 0
    while await deliver_next(
        in_memory_transactions(uow), OneSender(sender), policy or RetryPolicy(), jitter=lambda: 0.0
    ):
        done += 1
    return done
