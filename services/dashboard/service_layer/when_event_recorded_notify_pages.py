"""Policy: when any event about a case is recorded, tell the open pages that show it.

The dashboard consumes every service's events through `shared.consumer` (idempotent,
with catch-up from the store). Events about no case (the guest book, the triage queue)
reach the office-wide pages of their office (reception, triage). The event itself is not
shown: the page reads the case
again from the owning service, with the person's own token, so what it shows is what the
service would answer and every read stays logged there.
"""

from __future__ import annotations

import asyncpg

from services.dashboard.adapters import case_offices
from services.dashboard.adapters.live_hub import LiveHub
from services.dashboard.domain.live import Change
from shared.contracts.base import Event, EventEnvelope


async def notify_pages(
    conn: asyncpg.Connection, event: Event, envelope: EventEnvelope, hub: LiveHub
) -> None:
    case_id = envelope.case_id or getattr(event, "case_id", None)
    office = envelope.office or getattr(event, "office", None)
    if case_id is None:
        # Not about one case (a visitor signed in or called at the desk, a message put
        # to triage): the office-wide pages of its office hear of it.
        if office:
            hub.publish(Change(office, None, envelope.event_type, envelope.global_position))
        return
    if office:
        await case_offices.remember(conn, case_id, office)
    else:
        office = await case_offices.office_of(conn, case_id)
    if office is None:
        return
    hub.publish(Change(office, case_id, envelope.event_type, envelope.global_position))
