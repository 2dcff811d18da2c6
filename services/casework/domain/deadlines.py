"""Deadlines in office time: when a published completion time runs out, with pauses.

Pure: the office's hours, its time zone and the holiday calendar are given (the calendar
comes from `adapters/calendar.py`, built on the `holidays` package; the zone from
`shared.localtime`). Counting rule:

* Only office time counts: working days (Monday to Friday, not a public holiday or a
  collective-leave day, cuti bersama) between the opening and closing hour, local time.
* Minutes and hours are office minutes and hours; a working day is one full office day
  (8 hours by default). A request received on Friday at 10:00 with 1 working day is due
  on Monday at 10:00; received on Saturday, it is due at Monday's closing time.
* Pauses (waiting for the citizen or another agency) do not count. While a pause is still
  open, the clock stands: there is no due time until it resumes.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from services.casework.domain.model import Clock
from shared.contracts.vocab import DurationUnit

WARN_AT = 0.75  # share of the budget gone when the deadline warning is given
_HORIZON_DAYS = 3 * 366  # never look further than this for office time


@dataclass(frozen=True)
class OfficeCalendar:
    """When an office is open: its zone, hours, working weekdays and days off."""

    zone: timezone
    holidays: Container[date]
    opens: time = time(8, 0)
    closes: time = time(16, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    _days: dict[date, tuple[datetime, datetime] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @property
    def day_seconds(self) -> float:
        return (
            datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)
        ).total_seconds()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def office_day(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's office hours in UTC (None: not a working day), worked out once per
        calendar and day (every case row's due time walks the same days)."""
        try:
            return self._days[day]
        except KeyError:
            hours = None
            if self.is_working_day(day):
                hours = (
                    datetime.combine(day, self.opens, self.zone).astimezone(UTC),
                    datetime.combine(day, self.closes, self.zone).astimezone(UTC),
                )
            self._days[day] = hours
            return hours

    def office_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office-time intervals from `start` on, in UTC, in order."""
        day = start.astimezone(self.zone).date()
        for _ in range(_HORIZON_DAYS):
            hours = self.office_day(day)
            if hours is not None:
                a, b = hours
                if start > a:
                    a = start.astimezone(UTC)
                if a < b:
                    yield a, b
            day += timedelta(days=1)


_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Span:
    """A pause: from `since` to `until` (None: not over yet)."""

    since: datetime
    until: datetime | None


def budget_seconds(value: int, unit: DurationUnit | str, calendar: OfficeCalendar) -> float:
    match DurationUnit(unit):
        case DurationUnit.MINUTES:
            return value * 60.0
        case DurationUnit.HOURS:
            return value * 3600.0
        case DurationUnit.WORKING_DAYS:
            return value * calendar.day_seconds


def _minus(a: datetime, b: datetime, pauses: Iterable[Span]) -> Iterator[tuple[datetime, datetime]]:
    """The parts of [a, b) outside every pause (pauses sorted by start)."""
    cursor = a
    for p in pauses:
        end = p.until
        if end is not None and end <= cursor:
            continue
        if p.since >= b:
            break
        if p.since > cursor:
            yield cursor, p.since
        if end is None:
            return
        cursor = max(cursor, end)
        if cursor >= b:
            return
    if cursor < b:
        yield cursor, b


def due_at(
    start: datetime,
    budget: float,
    calendar: OfficeCalendar,
    pauses: Iterable[Span] = (),
) -> datetime | None:
    """When `budget` seconds of office time, outside the pauses, have gone since `start`.

    None while an open pause stops the clock before the budget is used up.
    """
    return due_ats(start, (budget,), calendar, pauses)[0]


def due_ats(
    start: datetime,
    budgets: Sequence[float],
    calendar: OfficeCalendar,
    pauses: Iterable[Span] = (),
) -> list[datetime | None]:
    """`due_at` for several budgets (ascending) in one walk of the office time: a case
    row's warning and due times (the rebuild works this out for every case).

    Counted in whole microseconds (datetime's own unit): float seconds summed over many
    intervals could land a budget that ends exactly where a pause begins a hair past it,
    and the deadline then moved to after the pause."""
    spans = sorted(pauses, key=lambda p: p.since)
    wanted = [round(b * 1_000_000) for b in budgets]
    found: list[datetime | None] = []
    for budget in wanted:
        if budget > 0:
            break
        found.append(start)
    if len(found) == len(wanted):
        return found
    if not spans:
        return _due_ats_unpaused(start, wanted, calendar, found)
    used = 0
    for a, b in calendar.office_intervals(start):
        for x, y in _minus(a, b, spans):
            length = (y - x) // _MICROSECOND
            while used + length >= wanted[len(found)]:
                found.append(x + timedelta(microseconds=wanted[len(found)] - used))
                if len(found) == len(wanted):
                    return found
            used += length
        if spans and spans[-1].until is None and spans[-1].since < b:
            # the clock stands until the pause ends
            return found + [None] * (len(wanted) - len(found))
    raise ValueError("no office time within the horizon")


def _due_ats_unpaused(
    start: datetime,
    wanted: Sequence[int],
    calendar: OfficeCalendar,
    found: list[datetime | None],
) -> list[datetime | None]:
    """`due_ats` without pauses (budgets in microseconds): the office intervals taken as
    they are, without cutting pauses out of each (a rebuild works out every case's row,
    and most clocks never paused)."""
    used = 0
    budget = wanted[len(found)]
    for a, b in calendar.office_intervals(start):
        length = (b - a) // _MICROSECOND
        while used + length >= budget:
            found.append(a + timedelta(microseconds=budget - used))
            if len(found) == len(wanted):
                return found
            budget = wanted[len(found)]
        used += length
    raise ValueError("no office time within the horizon")


def office_seconds_between(
    start: datetime, end: datetime, calendar: OfficeCalendar, pauses: Iterable[Span] = ()
) -> float:
    """Office time, outside the pauses, from `start` to `end` (0 if end is not after)."""
    spans = sorted(pauses, key=lambda p: p.since)
    total = 0.0
    if end <= start:
        return 0.0
    for a, b in calendar.office_intervals(start):
        if a >= end:
            break
        for x, y in _minus(a, min(b, end), spans):
            total += (y - x).total_seconds()
    return total


@dataclass(frozen=True)
class Deadline:
    """A clock's due time and warning time (None while paused), and its budget."""

    budget: float
    due_at: datetime | None
    warn_at: datetime | None
    paused: bool

    def remaining(
        self, now: datetime, start: datetime, calendar: OfficeCalendar, pauses: Iterable[Span] = ()
    ) -> float:
        """Office seconds left at `now` (negative once overdue)."""
        if self.due_at is not None and now > self.due_at:
            return -office_seconds_between(self.due_at, now, calendar)
        return self.budget - office_seconds_between(start, now, calendar, pauses)


def deadline(
    start: datetime, budget: float, calendar: OfficeCalendar, pauses: Iterable[Span] = ()
) -> Deadline:
    spans = tuple(pauses)
    paused = bool(spans) and spans[-1].until is None
    warn, due = due_ats(start, (budget * WARN_AT, budget), calendar, spans)
    return Deadline(budget=budget, due_at=due, warn_at=warn, paused=paused)


def clock_deadline(clock: Clock, budget: float, calendar: OfficeCalendar) -> Deadline:
    """The deadline of one case clock (its start and pauses) for a budget of office time."""
    return deadline(
        clock.started_at, budget, calendar, [Span(p.since, p.until) for p in clock.pauses]
    )
