"""Wires notifications: its runtime (with the catalogue and the delivery worker), the
channel senders per office, the office directory for its handlers, its HTTP API."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.notifications.adapters.casework_status import HttpCaseworkStatus
from services.notifications.adapters.channel_senders import ChannelSenders
from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.due_dates import CaseworkDueDates, DueDates
from services.notifications.adapters.letter_links import LetterLinks, SignedLetterLinks
from services.notifications.adapters.messages import unpark_configured
from services.notifications.adapters.senders import OneSender, Sender, SenderRegistry
from services.notifications.adapters.staff_mail import unpark_configured_staff_mail
from services.notifications.adapters.unit_of_work import (
    NotificationsUnitOfWork,
    transactions,
)
from services.notifications.config import NotificationsSettings, get_notifications_settings
from services.notifications.domain.outgoing import RetryPolicy
from services.notifications.entrypoints import http, staff_inbox
from services.notifications.entrypoints.consumers import build_consumers
from services.notifications.entrypoints.worker import DeliveryWorker
from services.notifications.service_layer.notify_citizen import SERVICE
from shared.catalogue import Catalogue, load_catalogue
from shared.logging import get_logger
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings

log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class NotificationsRuntime(ServiceRuntime):
    """The service runtime, with the delivery worker as one more task of the process."""

    def __init__(
        self,
        *args: Any,
        senders: SenderRegistry,
        own: NotificationsSettings,
        due_dates: DueDates | None = None,
        casework: HttpCaseworkStatus | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.senders = senders
        self.casework = casework  # its HTTP client is closed at stop
        self.worker = DeliveryWorker(
            self.transaction,
            senders,
            RetryPolicy(
                max_attempts=own.slrt_delivery_max_attempts,
                base_seconds=own.slrt_delivery_backoff_base_seconds,
                cap_seconds=own.slrt_delivery_backoff_cap_seconds,
            ),
            concurrency=own.slrt_delivery_concurrency,
            poll_seconds=own.slrt_delivery_poll_seconds,
            due_dates=due_dates,
        )

    def transaction(self) -> AbstractAsyncContextManager[NotificationsUnitOfWork]:
        return transactions(self.pool, self.store)()

    async def start(self) -> None:
        await super().start()
        live = self.senders.live()
        for office, channels in live.items():
            log.info("delivery_channels", office=office, live=channels)
        async with self.pool.acquire() as conn:
            due = await unpark_configured(
                conn, {(o, c) for o, channels in live.items() for c in channels}
            )
            staff_due = await unpark_configured_staff_mail(
                conn, {o for o, channels in live.items() if "email" in channels}
            )
        if due or staff_due:
            log.info("delivery_unparked", messages=due, staff_emails=staff_due)
        self._tasks.append(asyncio.create_task(self.worker.run(), name="delivery-worker"))

    async def stop(self) -> None:
        await super().stop()
        await self.senders.close()
        if self.casework is not None:
            await self.casework.close()


def create_app(
    settings: Settings | None = None,
    *,
    sender: Sender | None = None,
    senders: SenderRegistry | None = None,
    catalogue: Catalogue | None = None,
    links: LetterLinks | None = None,
    own: NotificationsSettings | None = None,
    due_dates: DueDates | None = None,
) -> FastAPI:
    """`sender` sends every office's every channel through one sender (tests of wording);
    `senders` gives a registry; by default the channel accounts in the settings.
    `due_dates`: where the first message's due date comes from (casework's internal read
    by default)."""
    settings = settings or get_settings()
    own = own or get_notifications_settings()
    if links is None:
        links = SignedLetterLinks(
            base_url=own.slrt_public_base_url,
            secret=settings.slrt_letter_link_secret,
            ttl=timedelta(days=own.slrt_letter_link_ttl_days),
        )
    # Loaded once, here: a broken catalogue stops the service at start. The runtime holds
    # it; the handlers read it through the office directory.
    catalogue = catalogue or load_catalogue(settings.slrt_catalogue_dir)
    if senders is None:
        senders = (
            OneSender(sender)
            if sender is not None
            else ChannelSenders(own, catalogue, settings=settings)
        )
    # One reader of casework's status (one HTTP client) for the worker's due dates and
    # the consumer's status answers.
    casework = HttpCaseworkStatus(settings.slrt_casework_url)
    runtime = NotificationsRuntime(
        SERVICE,
        migrations=MIGRATIONS,
        settings=settings,
        catalogue=catalogue,
        senders=senders,
        own=own,
        due_dates=due_dates or CaseworkDueDates(casework, OfficeDirectory(catalogue)),
        casework=casework,
    )
    runtime.handlers, runtime.batch_handler = build_consumers(
        OfficeDirectory(catalogue),
        links,
        runtime.worker.wake,
        casework=casework,
        staff_emails=own.slrt_staff_emails,
    )
    app = create_service_app(
        runtime,
        title="SLRT notifications",
        description="Answers and updates back to the citizen through their own channel.",
    )
    app.state.sender = sender
    app.state.senders = senders
    app.include_router(http.router)
    app.include_router(staff_inbox.router)
    app.include_router(http.tasks)
    return app
