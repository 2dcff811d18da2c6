"""An in-memory notifications unit of work: the use cases run on it without PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.notifications.adapters.repository import NotificationRepository, no_lock
from services.notifications.adapters.senders import OutgoingMessage, RecordingSender, SendResult
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.domain.contacts import CaseContact
from services.notifications.domain.notifications import Message
from shared.unit_of_work import InMemoryEventLog, InMemoryUnitOfWork


class InMemoryContactBook:
    def __init__(self) -> None:
        self.kept: dict[UUID, CaseContact] = {}

    async def remember(self, case: CaseContact) -> CaseContact:
        return self.kept.setdefault(case.case_id, case)

    async def find(self, case_id: UUID) -> CaseContact | None:
        return self.kept.get(case_id)


@dataclass
class KeptMessage:
    message: Message
    status: str = "recorded"
    error: str | None = None


class InMemoryMessageStore:
    def __init__(self) -> None:
        self.kept: dict[UUID, KeptMessage] = {}

    async def keep(self, message: Message) -> bool:
        if message.notification_id in self.kept:
            return False
        self.kept[message.notification_id] = KeptMessage(message)
        return True

    async def mark_sent(self, notification_id: UUID) -> None:
        self.kept[notification_id].status = "sent"

    async def mark_failed(self, notification_id: UUID, error: str) -> None:
        kept = self.kept[notification_id]
        kept.status, kept.error = "failed", error

    def of_case(self, case_id: UUID) -> list[KeptMessage]:
        return [m for m in self.kept.values() if m.message.case.case_id == case_id]


class FakeNotificationsUnitOfWork(InMemoryUnitOfWork, NotificationsUnitOfWork):
    def __init__(self, events: InMemoryEventLog | None = None) -> None:
        super().__init__(events or InMemoryEventLog("notifications"))
        self.contacts: InMemoryContactBook = InMemoryContactBook()
        self.messages: InMemoryMessageStore = InMemoryMessageStore()
        self.notifications = NotificationRepository(self.events, no_lock)


class RefusingSender(RecordingSender):
    """Records everything; the provider refuses one address for good."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def send(self, message: OutgoingMessage) -> SendResult:
        if message.address == self.refused:
            return SendResult(ok=False, error="number not on WhatsApp")
        return await super().send(message)
