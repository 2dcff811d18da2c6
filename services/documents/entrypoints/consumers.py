"""Events the documents service takes in, and the use case each one runs.

Each handler runs inside the consumer's transaction, which also records the event id:
a redelivery changes nothing.
"""

from __future__ import annotations

import asyncpg

from services.documents.service_layer import checklists
from services.documents.service_layer.catalogue import get_catalogue
from shared.consumer import Handler
from shared.contracts.base import EventEnvelope
from shared.contracts.events import ComplaintRegistered, DtksNotFound, DtksVerified


async def on_complaint_registered(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await checklists.open_checklist(conn, envelope, get_catalogue())


async def on_dtks_result(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await checklists.record_dtks_result(conn, envelope)


HANDLERS: dict[str, Handler] = {
    ComplaintRegistered.event_type: on_complaint_registered,
    DtksVerified.event_type: on_dtks_result,
    DtksNotFound.event_type: on_dtks_result,
}
