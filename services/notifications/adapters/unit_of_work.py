"""The unit of work notifications' use cases run in, and its PostgreSQL implementation.

`NotificationsUnitOfWork` is the port: the event log, the contact book, the message store
and the notification streams' repository, all in one transaction. Inside the consumer
it is `PostgresNotificationsUnitOfWork.joined(conn, store)`: the consumer's transaction
(which also records the event id as processed) commits it. Unit tests use an in-memory
fake of the same port (`tests/unit/fakes_notifications.py`).
"""

from __future__ import annotations

from services.notifications.adapters.contacts import ContactBook, PostgresContactBook
from services.notifications.adapters.messages import MessageStore, PostgresMessageStore
from services.notifications.adapters.repository import (
    AdvisoryCaseLock,
    NotificationRepository,
)
from shared.unit_of_work import PostgresUnitOfWork, UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    contacts: ContactBook
    messages: MessageStore
    notifications: NotificationRepository


class PostgresNotificationsUnitOfWork(PostgresUnitOfWork, NotificationsUnitOfWork):
    def _on_connection(self) -> None:
        super()._on_connection()
        self.contacts = PostgresContactBook(self.conn)
        self.messages = PostgresMessageStore(self.conn)
        self.notifications = NotificationRepository(self.events, AdvisoryCaseLock(self.conn))
