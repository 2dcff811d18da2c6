"""The deadline watcher: warns before a deadline, records its breach, escalates, and
reminds staff of open referrals. Run periodically by the casework runtime.

Each sweep selects the candidates from the case projection (cheap, indexed), then, case
by case, decides again from the folded case under its lock (`commands.run`): the fold
knows whether the warning, breach or escalation of this clock was already recorded, so
two sweeps (two replicas, or a retry) append each event once. `now` is a parameter: the
watcher is the only place where the wall clock enters casework's decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from services.casework.domain import decisions
from services.casework.domain.model import CaseState
from services.casework.service_layer import commands
from services.casework.service_layer.commands import CaseRef
from services.casework.service_layer.planning import calendar_for, deadline_for, social_work_steps
from shared.contracts.base import Event
from shared.eventstore.store import ConcurrencyError, EventStore
from shared.logging import bind_context, get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class SweepReport:
    cases: int
    events: dict[str, int]


def decide_at(now: datetime) -> Callable[[CaseState], list[Event]]:
    def decide(state: CaseState) -> list[Event]:
        events = decisions.deadline_events(state, now, deadline_for(state))
        calendar = calendar_for(state.office) if state.office else None
        if calendar is not None:
            events += decisions.referral_reminders(state, now, calendar)
        steps = social_work_steps(state)
        if steps:
            events += decisions.step_breaches(state, now, steps)
        return events

    return decide


async def sweep(pool: asyncpg.Pool, store: EventStore, now: datetime) -> SweepReport:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT case_id, office, channel FROM casework.cases
               WHERE (clock_stopped_at IS NULL AND due_at IS NOT NULL AND (
                        (NOT warned AND warn_at <= $1)
                     OR (due_at <= $1 AND (NOT breached OR escalated_to IS NULL))))
                  OR (clock_stopped_at > due_at AND NOT breached)
                  OR next_reminder_at <= $1
                  OR next_step_due_at <= $1
               ORDER BY due_at NULLS LAST""",
            now,
        )
    counts: dict[str, int] = {}
    correlation: UUID = uuid4()
    actor = commands.system_actor(correlation)
    for row in rows:
        case = CaseRef(case_id=row["case_id"], office=row["office"], channel=row["channel"])
        bind_context(case_id=str(case.case_id), correlation_id=str(correlation))
        try:
            appended = await commands.run(pool, store, case, actor, decide_at(now))
        except ConcurrencyError:
            log.info("deadline_sweep_race", case_id=str(case.case_id))
            continue
        for e in appended:
            counts[e.event_type] = counts.get(e.event_type, 0) + 1
    if counts:
        log.info("deadline_sweep", cases=len(rows), events=counts)
    return SweepReport(cases=len(rows), events=counts)
