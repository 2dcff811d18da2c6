"""Use case: a citizen looks their request up with the ticket number and check code.

1. The client's budget (`domain.throttle`): over it, refused at once (`Limited`).
2. intake verifies the pair for this office (one answer for every kind of wrong).
3. Wrong: the answer waits (growing with each wrong code of this client, or about this
   ticket), is logged (`status_lookup_refused`, with the client's address hashed and the
   failure count), and is the same `NotFound` whether the ticket is unknown, another
   office's, or the code is wrong.
4. Right: casework's public status (its finer `status` where it gives one, else the
   stage), in the office's words that say where the request stands
   (`domain.status_words`, catalogue messages; a status the portal does not know says
   so and is logged, never told as received), with
   the due time in the office's zone and the office's published contact.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.portal.adapters.services import Services
from services.portal.domain.pages import StatusView, due_text
from services.portal.domain.status_words import UNKNOWN, words_for
from services.portal.domain.throttle import Throttle
from shared.catalogue import Catalogue
from shared.contracts.case_stages import status_key
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Limited:
    pass


@dataclass(frozen=True)
class NotFound:
    pass


@dataclass(frozen=True)
class Found:
    view: StatusView


Sleep = Callable[[float], Awaitable[None]]


def client_tag(client: str) -> str:
    """A client address as logs show it: a short hash, not the address."""
    return hashlib.sha256(b"slrt-portal\x00" + client.encode()).hexdigest()[:12]


def contact_of(catalogue: Catalogue, office_id: str) -> str:
    office = catalogue.office(office_id)
    parts = [office.address, f"telp. {office.phone}" if office.phone else None, office.email]
    return ", ".join(p for p in parts if p)


async def look_up_status(
    services: Services,
    throttle: Throttle,
    catalogue: Catalogue,
    *,
    office: str,
    ticket: str,
    code: str,
    client: str,
    now: float,
    sleep: Sleep = asyncio.sleep,
    today: datetime | None = None,
) -> Limited | NotFound | Found:
    """`now`: the throttle's clock; `today`: the wall clock a due time is compared with
    (now, unless a test fixes it)."""
    if not throttle.admit(client, now):
        log.warning("status_lookup_limited", client=client_tag(client), office=office)
        return Limited()
    ticket = ticket.strip().upper()[:40]
    verified = await services.verify(office, ticket, code[:40])
    if verified is None:
        delay, failures = throttle.failed((f"client:{client}", f"ticket:{ticket}"), now)
        log.warning(
            "status_lookup_refused",
            client=client_tag(client),
            office=office,
            failures=failures,
            delay_seconds=delay,
        )
        await sleep(delay)
        return NotFound()
    status = await services.public_status(verified.case_id)
    texts = catalogue.messages_for(office)
    # Not seen by casework yet: intake has registered it.
    reported = (
        status_key(status.stage, status.status, status.not_eligible_because)
        if status is not None
        else "registered"
    )
    words = words_for(reported, texts.pieces)
    if words is None:
        log.warning("status_words_missing", status=reported, office=office)
        words = UNKNOWN
    std = catalogue.office(office)
    service_name = None
    if status is not None and status.service in std.services:
        service_name = std.services[status.service].name
    due = None
    if status is not None and status.due_at is not None:
        due = due_text(status.due_at, std.region_code)
        if status.due_at < (today or datetime.now(UTC)):
            # Said plainly: the office is late, and the citizen may ask why.
            due += " (sudah terlewati)"
    log.info("status_lookup_answered", case_id=str(verified.case_id), office=office)
    return Found(
        StatusView(
            ticket_number=verified.ticket_number,
            office_name=std.name,
            service_name=service_name,
            status=words.label,
            next_step=words.next_step,
            due=due,
            paused=bool(status and status.paused),
            paused_for=status.paused_for if status else None,
            published_time=status.published_time if status else None,
            contact=contact_of(catalogue, office),
        )
    )
