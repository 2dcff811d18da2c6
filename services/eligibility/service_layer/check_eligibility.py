"""Use case: a request was registered; check the registry and domicile as its standard asks.

Runs inside the consumer's transaction (which also records the event as processed), so
the events, their outbox rows and the check row commit together, once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.eligibility.adapters import registry
from services.eligibility.domain.decision import Decision, Rules, decide, subject_nik
from services.eligibility.domain.nik import nik_problem
from shared.catalogue import Catalogue, UnknownEntry
from shared.contracts.base import EventEnvelope
from shared.contracts.events import ComplaintRegistered
from shared.eventstore.store import EventStore, read_stream, stream_version
from shared.logging import get_logger

log = get_logger(__name__)

ACTOR = "system:eligibility"


def stream_id(case_id: object) -> str:
    return f"eligibility-{case_id}"


async def check_eligibility(
    conn: asyncpg.Connection,
    store: EventStore,
    catalogue: Catalogue,
    envelope: EventEnvelope,
    *,
    event: ComplaintRegistered | None = None,
    actor: str = ACTOR,
) -> Decision | None:
    """Check the registered request; `event` replaces the registration's own payload when
    staff recheck with an identity the channel did not carry (see `recheck`)."""
    if event is None:
        payload = envelope.payload()
        assert isinstance(payload, ComplaintRegistered)
        event = payload
    try:
        office = catalogue.office(event.office)
        service = office.service(event.service)
    except UnknownEntry as exc:
        # Retrying cannot help: the catalogue no longer knows it. Say so, check nothing.
        log.warning("eligibility_unknown_service", error=str(exc))
        await _record(conn, envelope, event, None, not_checked=f"unknown_{exc.kind}")
        return None
    rules = Rules(
        requires_dtks=service.requires_dtks,
        office_region_code=office.region_code,
        domicile_region_code=service.domicile_region_code,
    )
    nik = subject_nik(event)
    member = None
    if rules.anything_to_check and nik and nik_problem(nik) is None:
        member = await registry.find_member(conn, nik)
    decision = decide(event, rules, member)
    appended = []
    if decision.events:
        stream = stream_id(event.case_id)
        meta = envelope.metadata().caused_by(envelope, actor)
        appended = await store.append(
            conn, stream, await stream_version(conn, stream), decision.events, meta
        )
    await _record(
        conn,
        envelope,
        event,
        decision,
        events=[
            {"event_type": e.event_type, "event_id": str(e.event_id), "data": e.data}
            for e in appended
        ],
    )
    log.info(
        "eligibility_checked",
        dtks=decision.dtks,
        domicile=decision.domicile,
        reason=decision.reason,
        events=[e.event_type for e in appended],
    )
    return decision


async def _record(
    conn: asyncpg.Connection,
    envelope: EventEnvelope,
    event: ComplaintRegistered,
    decision: Decision | None,
    *,
    events: list[dict[str, Any]] | None = None,
    not_checked: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO eligibility.checks (case_id, office, service, dtks_status, dtks_reason,
               domicile_status, events, caused_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        event.case_id,
        event.office,
        event.service,
        decision.dtks if decision else "not_checked",
        decision.reason if decision else not_checked,
        decision.domicile if decision else "not_checked",
        events or [],
        envelope.event_id,
    )


class RecheckRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def recheck(
    conn: asyncpg.Connection,
    store: EventStore,
    catalogue: Catalogue,
    case_id: UUID,
    *,
    nik: str,
    kk_number: str | None,
    staff_office: str,
    actor: str,
) -> Decision | None:
    """Staff learned the NIK a channel did not carry (a WhatsApp or Instagram message):
    check the registry and domicile again for the registered case, with that identity.

    The registration itself is read from the event store (the log every service shares);
    the new verdict is appended after the earlier ones, which stay in the history."""
    found = [
        e
        for e in await read_stream(conn, f"complaint-{case_id}")
        if e.event_type == ComplaintRegistered.event_type
    ]
    if not found:
        raise RecheckRefused(404, "case_not_found", f"No registered case {case_id}.")
    envelope = found[0]
    registered = envelope.payload()
    assert isinstance(registered, ComplaintRegistered)
    if registered.office != staff_office:
        raise RecheckRefused(403, "wrong_office", "The case is another office's.")
    if registered.anonymous:
        raise RecheckRefused(409, "anonymous_report", "An anonymous report has no identity.")
    person = registered.on_behalf_of or registered.applicant
    corrected = person.model_copy(
        update={"nik": nik, **({"kk_number": kk_number} if kk_number else {})}
    )
    event = registered.model_copy(
        update=(
            {"on_behalf_of": corrected}
            if registered.on_behalf_of is not None
            else {"applicant": corrected}
        )
    )
    return await check_eligibility(conn, store, catalogue, envelope, event=event, actor=actor)
