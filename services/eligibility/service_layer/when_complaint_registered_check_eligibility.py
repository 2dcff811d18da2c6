"""Policy: when a request is registered, check the registry and domicile as its standard asks.

The office's published standard (the catalogue) says what to ask: `requires_dtks` (is the
person listed, in a household of the office's region?) and `domicile_region_code` (do they
live there?). The verdicts (`DtksVerified` / `DtksNotFound`, `DomicileVerified` /
`DomicileRefused`) are appended to the case's eligibility stream and its `checks` row
recorded in one unit of work: inside a consumer, the consumer's own transaction (which
also records the event as processed), so they commit together, once.

`check_eligibility` is the check itself; staff's recheck (`recheck_case.py`) runs it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from services.eligibility.adapters.checks import CheckOf, CheckRow, check_row
from services.eligibility.adapters.eligibility_repository import CaseEligibilityRepository
from services.eligibility.adapters.unit_of_work import EligibilityUnitOfWork
from services.eligibility.domain.decision import Decision, Rules, decide, subject_nik
from services.eligibility.domain.nik import nik_problem
from services.eligibility.domain.registry import RegistryMember
from shared.catalogue import Catalogue, UnknownEntry
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.events import ComplaintRegistered
from shared.logging import get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)

ACTOR = "system:eligibility"

NewUnitOfWork = Callable[[], EligibilityUnitOfWork]


async def when_complaint_registered_check_eligibility(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    registered: ComplaintRegistered,
    envelope: EventEnvelope,
) -> Decision | None:
    """The consumer's policy: `new_uow` gives the unit of work joined to its transaction
    (so one attempt: the consumer retries the whole event)."""
    return await check_eligibility(
        new_uow, catalogue, registered, envelope, actor=ACTOR, attempts=1
    )


async def check_eligibility(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    registered: ComplaintRegistered,
    envelope: EventEnvelope,
    *,
    actor: str,
    attempts: int,
) -> Decision | None:
    """Check `registered` (the registration `envelope` carries, or the identity staff
    corrected in it): None when the catalogue no longer knows its office or service."""
    check = CheckOf(
        case_id=registered.case_id,
        office=registered.office,
        service=registered.service,
        caused_by=envelope.event_id,
    )
    try:
        office = catalogue.office(registered.office)
        service = office.service(registered.service)
    except UnknownEntry as exc:
        # Retrying cannot help: the catalogue no longer knows it. Say so, check nothing.
        log.warning("eligibility_unknown_service", error=str(exc))
        await _record(new_uow, check_row(check, None, not_checked=f"unknown_{exc.kind}"))
        return None
    rules = Rules(
        requires_dtks=service.requires_dtks,
        office_region_code=office.region_code,
        domicile_region_code=service.domicile_region_code,
    )
    if not rules.anything_to_check:
        decision = decide(registered, rules, None)  # no verdict: nothing is appended
        await _record(new_uow, check_row(check, decision))
        _log(decision, [])
        return decision
    nik = subject_nik(registered)
    if nik and nik_problem(nik) is None:
        check = replace(check, nik=nik)
    decided: list[Decision] = []

    def decide_on(member: RegistryMember | None) -> tuple[Event, ...]:
        decided.append(decide(registered, rules, member))
        return decided[-1].events

    appended = await decide_and_append(
        new_uow,
        CaseEligibilityRepository,
        check,
        decide_on,
        envelope.metadata().caused_by(envelope, actor),
        attempts=attempts,
    )
    _log(decided[-1], appended)
    return decided[-1]


async def _record(new_uow: NewUnitOfWork, row: CheckRow) -> None:
    async with new_uow() as uow:
        await uow.checks.record(row)
        await uow.commit()


def _log(decision: Decision, appended: list[EventEnvelope]) -> None:
    log.info(
        "eligibility_checked",
        dtks=decision.dtks,
        domicile=decision.domicile,
        reason=decision.reason,
        events=[e.event_type for e in appended],
    )
