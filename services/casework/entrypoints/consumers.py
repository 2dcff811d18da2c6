"""Event handlers: every cross-service event goes into the case projections; a signed
letter also resolves the case, a reply resumes a case waiting for the citizen, and a
confirmed duplicate is merged into the open case.

Each handler runs inside the consumer's transaction, which also records the event id:
a redelivery changes nothing.
"""

from __future__ import annotations

import asyncpg

from services.casework.service_layer.policies import (
    when_duplicate_confirmed_merge,
    when_letter_signed_resolve_case,
    when_reply_received_resume_case,
)
from services.casework.service_layer.projection import PROJECTED_EVENT_TYPES, project_event
from shared.consumer import Handler
from shared.contracts.base import EventEnvelope
from shared.contracts.events import LetterSigned
from shared.contracts.intake_events import DuplicateConfirmed, ReplyReceived
from shared.eventstore.store import EventStore

SERVICE = "casework"
STORE = EventStore(SERVICE)


async def on_letter_signed(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await project_event(conn, envelope)
    await when_letter_signed_resolve_case(conn, envelope, STORE)


async def on_reply_received(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await project_event(conn, envelope)
    await when_reply_received_resume_case(conn, envelope, STORE)


async def on_duplicate_confirmed(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await project_event(conn, envelope)
    await when_duplicate_confirmed_merge(conn, envelope, STORE)


# Built from the event registry: a new cross-service event is projected without a change
# here (its timeline line is its type name until `domain/timeline.py` learns it).
HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(PROJECTED_EVENT_TYPES, project_event),
    LetterSigned.event_type: on_letter_signed,
    ReplyReceived.event_type: on_reply_received,
    DuplicateConfirmed.event_type: on_duplicate_confirmed,
}
