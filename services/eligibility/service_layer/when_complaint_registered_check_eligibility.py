"""Policy: when a request is registered, check the registry and domicile as its standard asks.

The office's published standard (the catalogue) says what to ask: `requires_dtks` (is the
person listed, in a household of the office's region?) and `domicile_region_code` (do they
live there?). The verdicts (`DtksVerified` / `DtksNotFound`, `DomicileVerified` /
`DomicileRefused`) are appended to the case's eligibility stream and its `checks` row
recorded in one unit of work: inside a consumer, the consumer's own transaction (which
also records the event as processed), so they commit together, once.

`check_eligibility` is the check itself; staff's recheck (`recheck_case.py`) runs it too.
`check_eligibility_of_run` is the consumer's way for a run of registrations at once: the
same plan and decision for each, with one read and one write per kind for the whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from services.eligibility.adapters.checks import CheckOf, CheckRow, check_row
from services.eligibility.adapters.eligibility_repository import CaseEligibilityRepository
from services.eligibility.adapters.unit_of_work import EligibilityRun, EligibilityUnitOfWork
from services.eligibility.domain.decision import Decision, Rules, decide, subject_nik
from services.eligibility.domain.nik import nik_problem
from services.eligibility.domain.registry import RegistryMember
from shared.catalogue import Catalogue, UnknownEntry
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.events import ComplaintRegistered
from shared.contracts.streams import eligibility_stream
from shared.deferred_append import event_log_values
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


@dataclass(frozen=True)
class CheckPlan:
    """What the office's standard asks of a registration, before anything is read: the
    check (with the NIK to look up, when there is a valid one) and its rules; no rules
    when the catalogue no longer knows the office or service (`unknown`: which)."""

    check: CheckOf
    rules: Rules | None
    unknown: UnknownEntry | None = None

    @property
    def looks_up(self) -> bool:
        """Whether the registry and the case's stream are read: something to check."""
        return self.rules is not None and self.rules.anything_to_check


def plan_check(
    catalogue: Catalogue, registered: ComplaintRegistered, envelope: EventEnvelope
) -> CheckPlan:
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
        return CheckPlan(check, None, exc)
    rules = Rules(
        requires_dtks=service.requires_dtks,
        office_region_code=office.region_code,
        domicile_region_code=service.domicile_region_code,
    )
    if rules.anything_to_check:
        nik = subject_nik(registered)
        if nik and nik_problem(nik) is None:
            check = replace(check, nik=nik)
    return CheckPlan(check, rules)


def _not_checked(plan: CheckPlan, **ids: Any) -> CheckRow:
    """The row of a check the catalogue cannot say anything about (retrying cannot help);
    `ids`: the event's, when no log context names it."""
    assert plan.unknown is not None
    log.warning("eligibility_unknown_service", error=str(plan.unknown), **ids)
    return check_row(plan.check, None, not_checked=f"unknown_{plan.unknown.kind}")


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
    plan = plan_check(catalogue, registered, envelope)
    if plan.rules is None:
        # Retrying cannot help: the catalogue no longer knows it. Say so, check nothing.
        await _record(new_uow, _not_checked(plan))
        return None
    rules = plan.rules
    if not rules.anything_to_check:
        decision = decide(registered, rules, None)  # no verdict: nothing is appended
        await _record(new_uow, check_row(plan.check, decision))
        _log(decision, [])
        return decision
    decided: list[Decision] = []

    def decide_on(member: RegistryMember | None) -> tuple[Event, ...]:
        decided.append(decide(registered, rules, member))
        return decided[-1].events

    appended = await decide_and_append(
        new_uow,
        CaseEligibilityRepository,
        plan.check,
        decide_on,
        envelope.metadata().caused_by(envelope, actor),
        attempts=attempts,
    )
    _log(decided[-1], appended)
    return decided[-1]


async def check_eligibility_of_run(
    run: EligibilityRun,
    catalogue: Catalogue,
    registrations: Sequence[tuple[ComplaintRegistered, EventEnvelope]],
) -> list[Decision | None]:
    """The consumer's policy for a run of registrations at once, inside its transaction:
    the registry read for every NIK of the run in one statement, the case streams'
    versions in one, each decided in memory as `check_eligibility` decides it, then
    every verdict appended in one round and every `checks` row written in one statement,
    in the run's order. The same events and rows as the registrations one by one."""
    plans = [plan_check(catalogue, r, e) for r, e in registrations]
    niks = sorted({p.check.nik for p in plans if p.looks_up and p.check.nik})
    members = await run.registry.find_members(niks) if niks else {}
    await run.appends.load_versions(
        eligibility_stream(p.check.case_id) for p in plans if p.looks_up
    )
    rows: list[CheckRow | None] = [None] * len(plans)
    decisions: list[Decision | None] = []
    appended: list[list[EventEnvelope]] = [[] for _ in plans]
    for i, ((registered, envelope), plan) in enumerate(zip(registrations, plans, strict=True)):
        # (No log context bound per event, which costs more than deciding: the few lines
        # logged name the event's ids themselves.)
        if plan.rules is None:
            rows[i] = _not_checked(plan, **event_log_values(envelope))
            decisions.append(None)
            continue
        if not plan.looks_up:
            decision = decide(registered, plan.rules, None)
            rows[i] = check_row(plan.check, decision)
            decisions.append(decision)
            continue
        member = members.get(plan.check.nik) if plan.check.nik else None
        decision = decide(registered, plan.rules, member)
        decisions.append(decision)
        stream = eligibility_stream(plan.check.case_id)

        def written(
            envs: list[EventEnvelope],
            i: int = i,
            check: CheckOf = plan.check,
            decision: Decision = decision,
        ) -> None:
            appended[i] = envs
            rows[i] = check_row(check, decision, envs)

        await run.appends.append(
            stream,
            await run.appends.version(stream),
            decision.events,
            envelope.metadata().caused_by(envelope, ACTOR),
            then=written,
        )
    await run.appends.flush()
    await run.checks.record_many([r for r in rows if r is not None])
    for (_, envelope), done, envs in zip(registrations, decisions, appended, strict=True):
        if done is not None:
            _log(done, envs, **event_log_values(envelope))
    return decisions


async def _record(new_uow: NewUnitOfWork, row: CheckRow) -> None:
    async with new_uow() as uow:
        await uow.checks.record(row)
        await uow.commit()


def _log(decision: Decision, appended: list[EventEnvelope], **ids: Any) -> None:
    log.info(
        "eligibility_checked",
        **ids,
        dtks=decision.dtks,
        domicile=decision.domicile,
        reason=decision.reason,
        events=[e.event_type for e in appended],
    )
