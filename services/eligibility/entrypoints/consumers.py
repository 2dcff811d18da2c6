"""Events eligibility takes in: ComplaintRegistered (from intake)."""

from __future__ import annotations

import asyncpg

from services.eligibility.service_layer.check_eligibility import check_eligibility
from shared.catalogue import Catalogue
from shared.consumer import Handler
from shared.contracts.base import EventEnvelope
from shared.eventstore.store import EventStore
from shared.logging import bind_context

OWNER = "eligibility"


def build_handlers(catalogue: Catalogue) -> dict[str, Handler]:
    """event_type -> handler; each runs inside the consumer's transaction."""
    store = EventStore(OWNER)

    async def on_complaint_registered(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
        bind_context(
            case_id=str(envelope.case_id),
            correlation_id=str(envelope.correlation_id),
            event_type=envelope.event_type,
            event_id=str(envelope.event_id),
        )
        await check_eligibility(conn, store, catalogue, envelope)

    return {"ComplaintRegistered": on_complaint_registered}
