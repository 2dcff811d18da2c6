"""Event handlers: each event worth telling the citizen about becomes one message.

Every told event class gets its typed handler (registration, DTKS and domicile answers,
the letter signed and issued, referral, forwarding, merges, resolution); each runs the
`notify_citizen` policy in the consumer's own transaction (a joined unit of work).
"""

from __future__ import annotations

import asyncpg

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import LetterLinks
from services.notifications.adapters.senders import Sender
from services.notifications.adapters.unit_of_work import PostgresNotificationsUnitOfWork
from services.notifications.service_layer.notify_citizen import (
    SERVICE,
    ToldEvent,
    notify_citizen,
)
from shared.consumer import Handler, handles
from shared.contracts.base import EventEnvelope
from shared.contracts.casework_events import CaseForwarded, CaseMerged, DuplicateMerged
from shared.contracts.documents_events import LetterIssued
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DomicileRefused,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)
from shared.eventstore.store import EventStore


def build_handlers(
    sender: Sender, directory: OfficeDirectory, links: LetterLinks
) -> dict[str, Handler]:
    """The handlers, with the sender, the office directory and the letter links the
    bootstrap gives."""
    store = EventStore(SERVICE)

    async def tell_citizen(
        conn: asyncpg.Connection, event: ToldEvent, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await notify_citizen(uow, event, envelope, sender=sender, directory=directory, links=links)

    return {
        **handles(ComplaintRegistered, tell_citizen),
        **handles(DtksNotFound, tell_citizen),
        **handles(DomicileRefused, tell_citizen),
        **handles(LetterSigned, tell_citizen),
        **handles(LetterIssued, tell_citizen),
        **handles(ReferralMade, tell_citizen),
        **handles(CaseForwarded, tell_citizen),
        **handles(CaseMerged, tell_citizen),
        **handles(DuplicateMerged, tell_citizen),
        **handles(CaseResolved, tell_citizen),
    }
