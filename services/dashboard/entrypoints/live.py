"""`/langsung`: the Server-Sent Events stream of an open page.

The page names what it shows (`?kasus=<id>` for a case page; nothing for an office-wide
page) and gets `change` events (`{"case_id", "event_type", "position"}`) for its own
office only; `static/live.js` then reloads the page's live parts. One asyncio queue per
connection (see `adapters/live_hub.py`); a keep-alive comment every 15 seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request
from sse_starlette.sse import EventSourceResponse

from services.dashboard.domain.live import Topic
from services.dashboard.entrypoints.deps import SignedIn, get_dashboard
from shared.refusal import Refused

router = APIRouter(tags=["live"])


@router.get("/langsung")
async def live(
    request: Request, me: SignedIn, kasus: Annotated[UUID | None, Query()] = None
) -> EventSourceResponse:
    d = get_dashboard(request)
    if d.hub.connections >= d.settings.slrt_dashboard_max_live_connections:
        raise Refused("too_many_live_pages", "Too many open live pages.", status=503)
    topic = Topic(office=me.account.office, case_id=kasus)

    async def events() -> AsyncIterator[dict[str, str]]:
        with d.hub.subscribe(topic) as sub:
            yield {"event": "ready", "data": "{}"}
            while True:
                change = await sub.queue.get()
                if change is None:  # the process is stopping
                    return
                if sub.overflowed:
                    sub.overflowed = False
                    yield {"event": "resync", "data": "{}"}
                yield {"event": "change", "data": orjson.dumps(change.as_data()).decode()}

    return EventSourceResponse(
        events(), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
