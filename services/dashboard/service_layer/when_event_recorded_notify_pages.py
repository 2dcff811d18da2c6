"""Policy: when any event about a case is recorded, tell the open pages that show it.

The dashboard consumes every service's events through `shared.consumer` (idempotent,
with catch-up from the store). Events about no case (the guest book, the triage queue)
reach the office-wide pages of their office (reception, triage). The event itself is not
shown: the page reads the case
again from the owning service, with the person's own token, so what it shows is what the
service would answer and every read stays logged there.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

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


async def notify_pages_many(
    conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope], hub: LiveHub
) -> None:
    """`notify_pages` for a run of events (the consumer's batch), with one write of the
    offices learnt and one read of those it lacks; the pages hear of them in order."""
    about: list[tuple[EventEnvelope, UUID | None, str | None]] = []
    for envelope in envelopes:
        case_id, office = envelope.case_id, envelope.office
        if case_id is None or office is None:  # the envelope's metadata is the usual source
            event = envelope.payload()
            case_id = case_id or getattr(event, "case_id", None)
            office = office or getattr(event, "office", None)
        about.append((envelope, case_id, office))
    learnt: dict[UUID, str] = {}
    for _, case_id, office in about:
        if case_id is not None and office:
            learnt.setdefault(case_id, office)
    await case_offices.remember_many(conn, learnt)
    unknown = {c for _, c, o in about if c is not None and not o and c not in learnt}
    known = {**await case_offices.offices_of(conn, unknown), **learnt}
    for envelope, case_id, office in about:
        if case_id is not None:
            office = office or known.get(case_id)
        if office:
            hub.publish(Change(office, case_id, envelope.event_type, envelope.global_position))
