"""Events intake takes in.

- `InboundReceived` (its own adapters, topic `slrt.intake.inbound`): decide each message
  into a case, a reply or the triage queue.
- `CaseResolved` and `CaseClosed` (casework): a finished case stops attracting duplicates.

Each handler runs inside the consumer's transaction, which also records the event id:
a redelivery changes nothing.
"""

from __future__ import annotations

import asyncpg

from services.intake.service_layer.inbound import decide
from shared.catalogue import Catalogue
from shared.consumer import Handler
from shared.contracts.base import EVENT_TYPES, EventEnvelope
from shared.contracts.events import CaseResolved
from shared.contracts.intake_events import InboundReceived
from shared.eventstore.store import EventStore

STORE = EventStore("intake")
# Casework's events that end a case, where casework publishes them.
_CASE_ENDINGS = [t for t in (CaseResolved.event_type, "CaseClosed") if t in EVENT_TYPES]


async def on_case_ended(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await conn.execute(
        """UPDATE intake.registrations SET closed_at = coalesce(closed_at, $2)
           WHERE case_id = $1""",
        envelope.case_id,
        envelope.recorded_at or envelope.occurred_at,
    )


def make_handlers(catalogue: Catalogue) -> dict[str, Handler]:
    async def on_inbound(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
        await decide(conn, STORE, catalogue, envelope)

    return {
        InboundReceived.event_type: on_inbound,
        **dict.fromkeys(_CASE_ENDINGS, on_case_ended),
    }
