"""Use case: check the deadlines. Warns before a deadline, records its breach, escalates,
records a social-work step whose budget ran out, and reminds staff of open referrals.
Run periodically by the casework runtime.

Each check selects the candidates from the case rows (cheap, indexed), then, case by
case, decides again from the folded case under its lock (`decide_and_append`): the fold
knows whether the warning, breach or escalation of this clock was already recorded, so
two checks (two replicas, or a retry) append each event once. `now` is a parameter: this
is the only place where the wall clock enters casework's decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from services.casework.adapters import case_store
from services.casework.domain import escalation, referrals, social_work
from services.casework.domain.model import CaseState
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.case_command import Actor, CaseRef, metadata
from services.casework.service_layer.unit_of_work import NewUnitOfWork, cases_of
from shared import metrics
from shared.contracts.base import Event
from shared.eventstore.store import ConcurrencyError
from shared.logging import bind_context, fresh_log_context, get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)


@dataclass(frozen=True)
class SweepReport:
    cases: int
    events: dict[str, int]


def decide_at(now: datetime, standards: CaseStandards) -> Callable[[CaseState], list[Event]]:
    def decide(state: CaseState) -> list[Event]:
        events = escalation.deadline_events(
            state,
            now,
            standards.deadline_for(state),
            ladder=standards.escalation_ladder(state),
            working_role=standards.queue_role(state),
        )
        calendar = standards.calendar_for(state.office)
        if calendar is not None:
            events += referrals.referral_reminders(state, now, calendar)
        steps = standards.social_work_steps(state)
        if steps:
            events += social_work.step_breaches(state, now, steps)
        return events

    return decide


@fresh_log_context  # each sweep logs in its own context, and leaves none behind
async def check_deadlines(
    pool: asyncpg.Pool, new_uow: NewUnitOfWork, standards: CaseStandards, now: datetime
) -> SweepReport:
    async with pool.acquire() as conn:
        rows = await case_store.deadline_candidates(conn, now)
    counts: dict[str, int] = {}
    correlation: UUID = uuid4()
    actor = Actor.system(correlation)
    decide = decide_at(now, standards)
    for row in rows:
        case = CaseRef(case_id=row["case_id"], office=row["office"], channel=row["channel"])
        bind_context(case_id=str(case.case_id), correlation_id=str(correlation))
        try:
            appended = await decide_and_append(
                new_uow, cases_of, case.case_id, decide, metadata(case, actor)
            )
        except ConcurrencyError:
            log.info("deadline_sweep_race", case_id=str(case.case_id))
            continue
        for e in appended:
            counts[e.event_type] = counts.get(e.event_type, 0) + 1
            metrics.deadline_recorded(e.event_type, case.office)
    bind_context(correlation_id=str(correlation))  # the sweep's line names no one case
    if counts:
        log.info("deadline_sweep", cases=len(rows), events=counts)
    return SweepReport(cases=len(rows), events=counts)
