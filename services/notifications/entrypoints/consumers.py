"""Event handlers: each event worth telling the citizen about becomes one message."""

from __future__ import annotations

import asyncpg

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.senders import Sender
from services.notifications.service_layer.notify import SERVICE, notify_citizen
from shared.consumer import Handler
from shared.contracts.base import EventEnvelope
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)
from shared.eventstore.store import EventStore

STORE = EventStore(SERVICE)
TOLD_EVENTS = (ComplaintRegistered, DtksNotFound, LetterSigned, ReferralMade, CaseResolved)


def build_handlers(sender: Sender, directory: OfficeDirectory) -> dict[str, Handler]:
    async def handle(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
        await notify_citizen(conn, envelope, sender=sender, directory=directory, store=STORE)

    return {cls.event_type: handle for cls in TOLD_EVENTS}
