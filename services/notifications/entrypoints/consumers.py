"""Event handlers: each event worth telling the citizen about becomes one message.

Every told event class gets its typed handler (registration, DTKS and domicile answers,
the letter signed and issued, referral, forwarding, merges, resolution); each runs the
`notify_citizen` policy in the consumer's own transaction (a joined unit of work), which
records the message and wakes the delivery worker; nothing is sent here. A citizen's
reply (`ReplyReceived`) opens WhatsApp's 24-hour window again; a provider's status report
(`ChannelDeliveryStatusReported`, from intake's webhook door) is folded onto its message.
"""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import LetterLinks
from services.notifications.adapters.unit_of_work import PostgresNotificationsUnitOfWork
from services.notifications.service_layer.notify_citizen import (
    SERVICE,
    ToldEvent,
    notify_citizen,
)
from services.notifications.service_layer.remember_reply import remember_reply
from services.notifications.service_layer.when_delivery_status_reported import (
    when_delivery_status_reported,
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
from shared.contracts.intake_events import ChannelDeliveryStatusReported, ReplyReceived
from shared.eventstore.store import EventStore


def build_handlers(
    directory: OfficeDirectory, links: LetterLinks, wake: Callable[[], None]
) -> dict[str, Handler]:
    """The handlers, with the office directory and the letter links the bootstrap gives,
    and the delivery worker's wake."""
    store = EventStore(SERVICE)

    async def tell_citizen(
        conn: asyncpg.Connection, event: ToldEvent, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await notify_citizen(uow, event, envelope, directory=directory, links=links, wake=wake)

    async def reply(
        conn: asyncpg.Connection, event: ReplyReceived, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await remember_reply(uow, event, envelope.occurred_at)

    async def status(
        conn: asyncpg.Connection, event: ChannelDeliveryStatusReported, envelope: EventEnvelope
    ) -> None:
        uow = PostgresNotificationsUnitOfWork.joined(conn, store)
        await when_delivery_status_reported(uow, event, envelope.event_id)

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
        **handles(ReplyReceived, reply),
        **handles(ChannelDeliveryStatusReported, status),
    }
