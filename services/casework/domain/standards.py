"""What the catalogue's standard says about one case: its deadline budget and calendar,
whose turn it is and which official a breach escalates to, its social-work steps, the
agencies it may be referred to and how many counselling sessions it may have.

The published completion time per service and channel (`completion_time_for`; the
standards give none per variant), counted in the office's calendar. The catalogue is
given by the service's runtime (loaded once at start-up: versioned data, not state, so a
rebuild and the live projection compute the same due times); the office calendar by
`adapters/calendar.py` (region code -> calendar), so this stays pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.casework.domain import escalation, referrals, social_work
from services.casework.domain.deadlines import (
    Deadline,
    OfficeCalendar,
    budget_seconds,
    clock_deadline,
    due_at,
)
from services.casework.domain.model import PAUSED_STAGES, STOPPED_STAGES, CaseState
from services.casework.domain.social_work import StepView
from shared.catalogue import Catalogue, CatalogueError, DispositionRule, ServiceStandard
from shared.contracts.vocab import Channel, Role

CalendarOf = Callable[[str], OfficeCalendar]  # region code -> the office's calendar


@dataclass(frozen=True)
class Plan:
    calendar: OfficeCalendar
    budget: float  # office seconds
    label: str  # as published: "8 hari kerja"


class CaseStandards:
    """The catalogue read for one case at a time (offices' calendars kept per office)."""

    def __init__(self, catalogue: Catalogue, calendar_of: CalendarOf) -> None:
        self.catalogue = catalogue
        self._calendar_of = calendar_of
        self._calendars: dict[str, OfficeCalendar | None] = {}
        self._ladders: dict[str, tuple[Role, ...]] = {}
        # (office, service, channel) -> the plan (a rebuild asks for every case's).
        self._plans: dict[tuple[str | None, str | None, str | None], Plan | None] = {}

    def calendar_for(self, office_id: str | None) -> OfficeCalendar | None:
        if office_id is None:
            return None
        if office_id not in self._calendars:
            try:
                region = self.catalogue.office(office_id).region_code
            except CatalogueError:
                self._calendars[office_id] = None
            else:
                self._calendars[office_id] = self._calendar_of(region)
        return self._calendars[office_id]

    def standard_of(self, state: CaseState) -> ServiceStandard | None:
        if state.office is None or state.service is None:
            return None
        try:
            return self.catalogue.service(state.office, state.service)
        except CatalogueError:
            return None

    def plan_for(self, state: CaseState) -> Plan | None:
        key = (state.office, state.service, state.channel)
        try:
            return self._plans[key]
        except KeyError:
            plan = self._plans[key] = self._plan_for(state)
            return plan

    def _plan_for(self, state: CaseState) -> Plan | None:
        standard = self.standard_of(state)
        calendar = self.calendar_for(state.office)
        if standard is None or calendar is None or state.channel is None:
            return None
        duration = standard.completion_time_for(Channel(state.channel))
        return Plan(
            calendar=calendar,
            budget=budget_seconds(duration.value, duration.unit, calendar),
            label=duration.label,
        )

    def deadline_for(self, state: CaseState) -> Deadline | None:
        plan = self.plan_for(state)
        if plan is None or state.clock is None:
            return None
        return clock_deadline(state.clock, plan.budget, plan.calendar)

    def first_role(self, state: CaseState) -> str:
        """Who takes a registered case: the head of office where a disposition comes first
        (Kupang's letters), else the role of the first step of the channel's procedure."""
        standard = self.standard_of(state)
        if standard is None or state.channel is None:
            return Role.FRONT_OFFICE.value
        channel = Channel(state.channel)
        chain = standard.approval_chain_for(channel)
        if chain and chain[0].action == "disposition":
            return chain[0].role.value
        steps = standard.procedure_for(channel)
        return steps[0].role.value if steps else Role.FRONT_OFFICE.value

    def queue_role(self, state: CaseState) -> str | None:
        """The role whose work queue holds the case now, the role that must act on it
        (None: nobody's turn). An escalation does not take the case away from it: the
        official escalated to sees it too (`escalated_to`)."""
        if not state.registered or state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
            return None
        match state.stage:
            case "registered":
                return self.first_role(state)
            case "front_office":
                return Role.FRONT_OFFICE.value
            case "back_office":
                return Role.BACK_OFFICE.value
            case _:
                return state.assignee_role or Role.FRONT_OFFICE.value

    def escalation_ladder(self, state: CaseState) -> tuple[Role, ...]:
        """The officials a deadline of the case's office escalates to, lowest first: the
        levels of `escalation.LADDER` its catalogue says it has."""
        office = state.office or ""
        if office not in self._ladders:
            try:
                ladder = escalation.office_ladder(self.catalogue.office(office))
            except CatalogueError:
                ladder = escalation.LADDER
            self._ladders[office] = ladder
        return self._ladders[office]

    def escalated_to(self, state: CaseState) -> str | None:
        """The official whose queue also holds the case since its clock was escalated
        (None: not escalated). An escalation recorded to a role the office does not have
        (before ladders were read from the catalogue: the sub-coordinator, in Mataram or
        Pariaman) is held by the first official above it that the office has."""
        clock = state.clock
        if clock is None or not clock.escalated_to:
            return None
        return escalation.official_for(clock.escalated_to[-1], self.escalation_ladder(state))

    def next_reminder_at(self, state: CaseState) -> datetime | None:
        """When the next follow-up reminder of an open referral falls due (None: none open)."""
        calendar = self.calendar_for(state.office)
        if calendar is None or not state.open_referrals:
            return None
        every = referrals.REMINDER_EVERY_WORKING_DAYS * calendar.day_seconds
        times = [
            due_at(r.made_at, (r.reminders + 1) * every, calendar) for r in state.open_referrals
        ]
        return min((t for t in times if t is not None), default=None)

    def social_work_steps(self, state: CaseState) -> list[StepView] | None:
        """The LK3 steps of a social-work case (None for other services)."""
        standard = self.standard_of(state)
        calendar = self.calendar_for(state.office)
        if standard is None or standard.workflow != "social_work" or calendar is None:
            return None
        return social_work.steps(state, standard.procedure, calendar)

    def next_step_due_at(self, state: CaseState) -> datetime | None:
        if state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
            return None
        steps = self.social_work_steps(state)
        return social_work.next_step_due(steps, state.steps_breached) if steps else None

    def disposition_rule(self, state: CaseState) -> DispositionRule | None:
        """Who a disposition of this case may go to, and their delegation (None: the
        standard has no disposition)."""
        standard = self.standard_of(state)
        return standard.disposition if standard else None

    def known_agencies(self, state: CaseState) -> frozenset[str] | None:
        """Where a referral of this case may go (None: the standard lists none)."""
        return referrals.known_agencies(self.standard_of(state))

    def programme_agencies(self, state: CaseState) -> dict[str, frozenset[str]] | None:
        """The programmes the case's standard refers to, each with the agencies that run
        it (None: the standard lists none)."""
        return referrals.programme_agencies(self.standard_of(state))

    def goes_on_after_letter(self, state: CaseState) -> bool:
        """Whether the case's standard still refers the citizen after its letter resolved
        the case (Pariaman: the programme referral after the DTKS certificate)."""
        return referrals.goes_on_after_letter(self.standard_of(state))

    def sessions_max(self, state: CaseState) -> int:
        """How many counselling sessions the case's standard plans at most."""
        standard = self.standard_of(state)
        return social_work.sessions_max(standard.procedure if standard else ())
