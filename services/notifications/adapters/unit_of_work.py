"""The unit of work notifications' use cases run in, and its PostgreSQL implementation.

`NotificationsUnitOfWork` is the port: the event log, the contact book, the message store
(with the delivery worker's queue), the providers' status reports and the notification
streams' repository, all in one transaction. Inside the consumer
it is `PostgresNotificationsUnitOfWork.joined(conn, store)`: the consumer's transaction
(which also records the event id as processed) commits it. Unit tests use an in-memory
fake of the same port (`tests/unit/fakes_notifications.py`).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from uuid import UUID

import asyncpg

from services.notifications.adapters.contacts import (
    ContactBook,
    PostgresContactBook,
    RunContactBook,
)
from services.notifications.adapters.messages import (
    MessageStore,
    PostgresMessageStore,
    RunMessageStore,
)
from services.notifications.adapters.provider_statuses import (
    PostgresProviderStatuses,
    ProviderStatuses,
)
from services.notifications.adapters.repository import (
    AdvisoryCaseLock,
    NotificationRepository,
)
from services.notifications.adapters.staff_mail import (
    PostgresStaffMailQueue,
    StaffMailQueue,
)
from shared.after_commit import after_commit
from shared.eventstore.store import EventStore
from shared.unit_of_work import PostgresUnitOfWork, UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    contacts: ContactBook
    messages: MessageStore
    statuses: ProviderStatuses
    notifications: NotificationRepository
    staff_mail: StaffMailQueue

    @abc.abstractmethod
    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback()` once this unit of work's transaction has committed (what it
        kept is then visible to the delivery worker); never if it rolls back."""


class PostgresNotificationsUnitOfWork(PostgresUnitOfWork, NotificationsUnitOfWork):
    def _on_connection(self) -> None:
        super()._on_connection()
        self.contacts = PostgresContactBook(self.conn)
        self.messages = PostgresMessageStore(self.conn)
        self.statuses = PostgresProviderStatuses(self.conn)
        self.notifications = NotificationRepository(self.events, AdvisoryCaseLock(self.conn))
        self.staff_mail = PostgresStaffMailQueue(self.conn)

    def after_commit(self, callback: Callable[[], None]) -> None:
        after_commit(self.conn, callback)


class RunNotificationsUnitOfWork(PostgresNotificationsUnitOfWork):
    """Joined to the consumer's transaction for a run of events applied at once: the
    run's contacts read in one statement (`prefetch`), the contacts and messages its
    policies keep held in memory and written in one statement each (`flush`, before the
    transaction commits and before anything else reads those tables in it)."""

    contacts: RunContactBook
    messages: RunMessageStore

    def _on_connection(self) -> None:
        super()._on_connection()
        self.contacts = RunContactBook(self.conn)
        self.messages = RunMessageStore(self.conn)

    async def prefetch(self, case_ids: Iterable[UUID]) -> None:
        await self.contacts.prefetch(case_ids)

    async def flush(self) -> None:
        await self.contacts.flush()
        await self.messages.flush()


# A transaction someone else owns (the delivery worker, an HTTP command), given to a use
# case as a unit of work joined to it: `decide_and_append(lambda: uow, ...)` appends in it,
# and the owner commits when the block ends (rolls back if it raises).
Transaction = Callable[[], AbstractAsyncContextManager[NotificationsUnitOfWork]]


def transactions(pool: asyncpg.Pool, store: EventStore) -> Transaction:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[NotificationsUnitOfWork]:
        async with pool.acquire() as conn, conn.transaction():
            yield PostgresNotificationsUnitOfWork.joined(conn, store)

    return transaction
