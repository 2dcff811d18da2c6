"""Use case: the citizen wrote again about their case (`ReplyReceived`): remember when, on
which channel. WhatsApp (and Messenger) allow a free-form answer only within 24 hours of
the citizen's last message; outside it, an approved template (`domain.outgoing`)."""

from __future__ import annotations

from datetime import datetime

from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.service_layer.remember_contact import contact_of_case
from shared.contracts.intake_events import ReplyReceived


async def remember_reply(uow: NotificationsUnitOfWork, event: ReplyReceived, at: datetime) -> None:
    citizen = await contact_of_case(uow, event.case_id)
    if citizen.contact is not None and citizen.contact.channel == event.channel:
        await uow.contacts.heard_from(event.case_id, event.channel, at)
