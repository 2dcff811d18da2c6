"""What the catalogue says about a case: its deadline budget, calendar and next role.

The published completion time per service and channel (`completion_time_for`; the
standards give none per variant), counted in the office's calendar. Loaded once per
process: the catalogue is versioned data, not state, so a rebuild and the live
projection compute the same due times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from services.casework.adapters.calendar import office_calendar
from services.casework.domain import social_work
from services.casework.domain.deadlines import (
    Deadline,
    OfficeCalendar,
    budget_seconds,
    clock_deadline,
    due_at,
)
from services.casework.domain.decisions import REMINDER_EVERY_WORKING_DAYS
from services.casework.domain.model import PAUSED_STAGES, STOPPED_STAGES, CaseState
from services.casework.domain.social_work import StepView
from shared.catalogue import Catalogue, CatalogueError, ServiceStandard, load_catalogue
from shared.contracts.vocab import Channel, Role
from shared.settings import get_settings


@lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    return load_catalogue(get_settings().slrt_catalogue_dir)


@lru_cache(maxsize=64)
def calendar_for(office_id: str) -> OfficeCalendar | None:
    try:
        return office_calendar(get_catalogue().office(office_id).region_code)
    except CatalogueError:
        return None


def standard_of(state: CaseState) -> ServiceStandard | None:
    if state.office is None or state.service is None:
        return None
    try:
        return get_catalogue().service(state.office, state.service)
    except CatalogueError:
        return None


@dataclass(frozen=True)
class Plan:
    calendar: OfficeCalendar
    budget: float  # office seconds
    label: str  # as published: "8 hari kerja"


def plan_for(state: CaseState) -> Plan | None:
    standard = standard_of(state)
    calendar = calendar_for(state.office) if state.office else None
    if standard is None or calendar is None or state.channel is None:
        return None
    duration = standard.completion_time_for(Channel(state.channel))
    return Plan(
        calendar=calendar,
        budget=budget_seconds(duration.value, duration.unit, calendar),
        label=duration.label,
    )


def deadline_for(state: CaseState) -> Deadline | None:
    plan = plan_for(state)
    if plan is None or state.clock is None:
        return None
    return clock_deadline(state.clock, plan.budget, plan.calendar)


def first_role(state: CaseState) -> str:
    """Who takes a registered case: the head of office where a disposition comes first
    (Kupang's letters), else the role of the first step of the channel's procedure."""
    standard = standard_of(state)
    if standard is None or state.channel is None:
        return Role.FRONT_OFFICE.value
    channel = Channel(state.channel)
    chain = standard.approval_chain_for(channel)
    if chain and chain[0].action == "disposition":
        return chain[0].role.value
    steps = standard.procedure_for(channel)
    return steps[0].role.value if steps else Role.FRONT_OFFICE.value


def queue_role(state: CaseState) -> str | None:
    """The role whose work queue holds the case now (None: nobody's turn)."""
    if not state.registered or state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
        return None
    if state.clock is not None and state.clock.escalated_to:
        return state.clock.escalated_to[-1]
    match state.stage:
        case "registered":
            return first_role(state)
        case "front_office":
            return Role.FRONT_OFFICE.value
        case "back_office":
            return Role.BACK_OFFICE.value
        case _:
            return state.assignee_role or Role.FRONT_OFFICE.value


def next_reminder_at(state: CaseState) -> datetime | None:
    """When the next follow-up reminder of an open referral falls due (None: no open one)."""
    calendar = calendar_for(state.office) if state.office else None
    if calendar is None or not state.open_referrals:
        return None
    every = REMINDER_EVERY_WORKING_DAYS * calendar.day_seconds
    times = [due_at(r.made_at, (r.reminders + 1) * every, calendar) for r in state.open_referrals]
    return min((t for t in times if t is not None), default=None)


def social_work_steps(state: CaseState) -> list[StepView] | None:
    """The LK3 steps of a social-work case (None for other services)."""
    standard = standard_of(state)
    calendar = calendar_for(state.office) if state.office else None
    if standard is None or standard.workflow != "social_work" or calendar is None:
        return None
    return social_work.steps(state, standard.procedure, calendar)


def next_step_due_at(state: CaseState) -> datetime | None:
    if state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
        return None
    steps = social_work_steps(state)
    return social_work.next_step_due(steps, state.steps_breached) if steps else None
