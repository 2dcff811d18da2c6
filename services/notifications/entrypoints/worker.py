"""The delivery worker: a task in the notifications process that sends what the consumer
recorded (`service_layer/deliver_notification.py`), outside any consumer transaction.

It is woken in-process once a consumer's transaction that queued a message has committed
(`NotificationsUnitOfWork.after_commit`: woken, it finds the message), and polls
(`SLRT_DELIVERY_POLL_SECONDS`) for retries that fall due and for messages queued by
another process. `SLRT_DELIVERY_CONCURRENCY` slots send side by side; each claims one
message at a time with `FOR UPDATE SKIP LOCKED`, so any number of processes can run it.
"""

from __future__ import annotations

import asyncio
import contextlib

from services.notifications.adapters.due_dates import DueDates
from services.notifications.adapters.senders import SenderRegistry
from services.notifications.adapters.unit_of_work import Transaction
from services.notifications.domain.outgoing import RetryPolicy
from services.notifications.service_layer.deliver_notification import deliver_next
from services.notifications.service_layer.deliver_staff_email import deliver_next_staff_email
from shared.logging import fresh_log_context, get_logger

log = get_logger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        transaction: Transaction,
        senders: SenderRegistry,
        policy: RetryPolicy,
        *,
        concurrency: int = 4,
        poll_seconds: float = 1.0,
        due_dates: DueDates | None = None,
    ) -> None:
        self.transaction = transaction
        self.senders = senders
        self.policy = policy
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.due_dates = due_dates  # casework's due date for the first message
        self._wakes = [asyncio.Event() for _ in range(concurrency)]
        self.delivered = 0

    def wake(self) -> None:
        for event in self._wakes:
            event.set()

    @fresh_log_context  # each message logs with its own case id
    async def deliver_one(self) -> bool:
        if await deliver_next(
            self.transaction, self.senders, self.policy, due_dates=self.due_dates
        ):
            return True
        # then staff notices owed by e-mail (`deliver_staff_email.py`)
        return await deliver_next_staff_email(self.transaction, self.senders, self.policy)

    async def drain(self) -> int:
        """Deliver until nothing is due; how many were handled."""
        done = 0
        while await self.deliver_one():
            done += 1
        self.delivered += done
        return done

    async def _slot(self, wake: asyncio.Event) -> None:
        backoff = 0.2
        while True:
            wake.clear()  # a wake from now on is for what this drain may not see
            try:
                await self.drain()
                backoff = 0.2
            except Exception as exc:  # the database went away, say: try again shortly
                log.warning("delivery_worker_error", error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.poll_seconds)

    async def run(self) -> None:
        """Run the slots until cancelled."""
        async with asyncio.TaskGroup() as group:
            for n, wake in enumerate(self._wakes):
                group.create_task(self._slot(wake), name=f"delivery-{n}")
