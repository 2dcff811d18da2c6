"""The dashboard's typed event handlers: every event about a case, from every service's
topic, tells the open pages that show that case (see
`service_layer/when_event_recorded_notify_pages.py`).

To make a page live on something new, nothing is needed here as long as the event is
about a case: every registered event class of the five services' topics is handled.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.dashboard.adapters.live_hub import LiveHub
from services.dashboard.service_layer.when_event_recorded_notify_pages import (
    notify_pages,
    notify_pages_many,
)
from shared.consumer import BatchHandler, Handler, handles
from shared.contracts.base import EVENT_TYPES, Event, EventEnvelope
from shared.contracts.events import (
    CASEWORK_TOPIC,
    DOCUMENTS_TOPIC,
    ELIGIBILITY_TOPIC,
    INTAKE_TOPIC,
    NOTIFICATIONS_TOPIC,
)

CASE_TOPICS = frozenset(
    {INTAKE_TOPIC, ELIGIBILITY_TOPIC, DOCUMENTS_TOPIC, CASEWORK_TOPIC, NOTIFICATIONS_TOPIC}
)


def build_handlers(hub: LiveHub) -> dict[str, Handler]:
    async def on_event(conn: asyncpg.Connection, event: Event, envelope: EventEnvelope) -> None:
        await notify_pages(conn, event, envelope, hub)

    handlers: dict[str, Handler] = {}
    for event_class in EVENT_TYPES.values():
        if event_class.topic in CASE_TOPICS:
            handlers.update(handles(event_class, on_event))
    return handlers


def build_batch_handler(hub: LiveHub) -> BatchHandler:
    """A run of case events at once: one write of the offices learnt, one read of those it
    lacks (the handlers above take over event by event when the run fails)."""

    async def apply(conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
        await notify_pages_many(conn, envelopes, hub)

    return BatchHandler(frozenset(build_handlers(hub)), apply)
