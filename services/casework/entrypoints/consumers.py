"""Event handlers: every cross-service event goes into the case projections; a signed
letter also triggers the resolution policy.

Each handler runs inside the consumer's transaction, which also records the event id:
a redelivery changes nothing.
"""

from __future__ import annotations

import asyncpg

from services.casework.domain.timeline import CASE_EVENT_TYPES
from services.casework.service_layer.policies import when_letter_signed_resolve_case
from services.casework.service_layer.projection import project_event
from shared.consumer import Handler
from shared.contracts.base import EventEnvelope
from shared.contracts.events import LetterSigned
from shared.eventstore.store import EventStore

SERVICE = "casework"
STORE = EventStore(SERVICE)


async def on_letter_signed(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await project_event(conn, envelope)
    await when_letter_signed_resolve_case(conn, envelope, STORE)


# Built from the event registry: a new cross-service event is projected without a change
# here (its timeline line is its type name until `domain/timeline.py` learns it).
HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(CASE_EVENT_TYPES, project_event),
    LetterSigned.event_type: on_letter_signed,
}
