"""Deadlines in office time with the Indonesian holiday and collective-leave calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.casework.adapters.calendar import indonesian_days_off, office_calendar
from services.casework.domain.deadlines import (
    OfficeCalendar,
    Span,
    budget_seconds,
    deadline,
    due_at,
    due_ats,
    office_seconds_between,
)
from shared.contracts.vocab import DurationUnit
from shared.localtime import WIB, WIT, WITA, zone_of

KUPANG = office_calendar("53.71")  # WITA, UTC+8
DAY = 8 * 3600.0


def wita(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WITA)


def test_zones_by_province() -> None:
    assert zone_of("52.71") is WITA  # Mataram (NTB)
    assert zone_of("53.71") is WITA  # Kupang (NTT)
    assert zone_of("35.08") is WIB  # Lumajang (Jawa Timur)
    assert zone_of("13.77") is WIB  # Pariaman (Sumatera Barat)
    assert zone_of("91.71") is WIT  # Jayapura


def test_the_calendar_knows_public_holidays_and_collective_leave() -> None:
    days_off = indonesian_days_off()
    assert date(2026, 8, 17) in days_off  # Hari Kemerdekaan (public)
    assert date(2026, 3, 20) in days_off  # cuti bersama Idul Fitri (government category)
    assert not KUPANG.is_working_day(date(2026, 3, 20))
    assert not KUPANG.is_working_day(date(2026, 3, 21))  # Saturday (and Idul Fitri)
    assert KUPANG.is_working_day(date(2026, 3, 25))


def test_seven_working_days_cross_a_weekend_and_a_public_holiday() -> None:
    # Kupang, letter: 7 working days. Received Thursday 13 Aug 2026, 10:00 WITA.
    # 1 Fri 14, (Sat, Sun), Mon 17 = Independence Day, 2 Tue 18, 3 Wed 19, 4 Thu 20,
    # 5 Fri 21, (Sat, Sun), 6 Mon 24, Tue 25 = the Prophet's Birthday, 7 Wed 26.
    received = wita(2026, 8, 13, 10)
    assert date(2026, 8, 25) in indonesian_days_off()
    due = due_at(received, budget_seconds(7, DurationUnit.WORKING_DAYS, KUPANG), KUPANG)
    assert due == wita(2026, 8, 26, 10).astimezone(UTC)
    # 8 working days (SP4N-LAPOR) is one working day later.
    due8 = due_at(received, 8 * DAY, KUPANG)
    assert due8 == wita(2026, 8, 27, 10).astimezone(UTC)


def test_collective_leave_is_skipped_like_a_holiday() -> None:
    # Received Thursday 19 Mar 2026 at 15:00 WITA, 1 working day: 19 Mar is Nyepi,
    # 20-24 Mar are Idul Fitri and its cuti bersama: due Wednesday 25 Mar at 15:00... but
    # the 19th itself is a holiday, so the clock starts on the 25th at 08:00.
    received = wita(2026, 3, 19, 15)
    assert due_at(received, DAY, KUPANG) == wita(2026, 3, 25, 16).astimezone(UTC)


def test_minutes_count_in_office_hours_only() -> None:
    # A walk-in at 15:50 on a Friday with 15 minutes: 10 minutes Friday, 5 on Monday.
    due = due_at(wita(2026, 8, 7, 15, 50), budget_seconds(15, "minutes", KUPANG), KUPANG)
    assert due == wita(2026, 8, 10, 8, 5).astimezone(UTC)
    # Before opening time the clock starts at opening time.
    assert due_at(wita(2026, 8, 10, 6, 0), 3600, KUPANG) == wita(2026, 8, 10, 9).astimezone(UTC)


def test_a_pause_moves_the_deadline_by_the_office_time_it_took() -> None:
    received = wita(2026, 8, 3, 9)  # Monday
    budget = 2 * DAY
    plain = due_at(received, budget, KUPANG)
    assert plain == wita(2026, 8, 5, 9).astimezone(UTC)
    # Waiting for the citizen from Monday 14:00 to Tuesday 10:00: 2 + 2 office hours.
    pause = Span(wita(2026, 8, 3, 14), wita(2026, 8, 4, 10))
    assert due_at(received, budget, KUPANG, [pause]) == wita(2026, 8, 5, 13).astimezone(UTC)
    # While the pause is open the clock stands: no due time.
    open_pause = Span(wita(2026, 8, 3, 14), None)
    assert due_at(received, budget, KUPANG, [open_pause]) is None
    dl = deadline(received, budget, KUPANG, [open_pause])
    assert dl.paused and dl.due_at is None
    # The warning (75 %) may still fall before the pause started.
    assert deadline(received, 4 * 3600, KUPANG, [open_pause]).warn_at == wita(
        2026, 8, 3, 12
    ).astimezone(UTC)


def test_a_pause_over_a_weekend_costs_no_office_time() -> None:
    received = wita(2026, 8, 6, 9)  # Thursday
    pause = Span(wita(2026, 8, 7, 16, 30), wita(2026, 8, 9, 20))  # Fri evening to Sunday
    assert due_at(received, 3 * DAY, KUPANG, [pause]) == due_at(received, 3 * DAY, KUPANG)


def test_office_time_between_two_moments() -> None:
    a, b = wita(2026, 8, 14, 15), wita(2026, 8, 18, 9)  # Fri 15:00 -> Tue 09:00 (17th off)
    assert office_seconds_between(a, b, KUPANG) == 2 * 3600
    assert office_seconds_between(b, a, KUPANG) == 0


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
    ),
    hours=st.integers(min_value=1, max_value=200),
)
def test_due_time_spends_exactly_the_budget(start: datetime, hours: int) -> None:
    due = due_at(start, hours * 3600.0, KUPANG)
    assert due is not None and due > start
    assert office_seconds_between(start, due, KUPANG) == pytest.approx(hours * 3600.0)
    local = due.astimezone(WITA)
    assert KUPANG.is_working_day(local.date())
    assert time(8) < local.time() <= time(16)


def test_another_office_week() -> None:
    six_day = OfficeCalendar(zone=WIB, holidays=frozenset(), weekdays=frozenset(range(6)))
    saturday = datetime(2026, 8, 8, 8, tzinfo=WIB)
    assert due_at(saturday, DAY, six_day) == saturday + timedelta(hours=8)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)
    ),
    hours=st.integers(min_value=1, max_value=120),
    gaps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=96), st.integers(min_value=1, max_value=72)),
        max_size=4,
    ),
)
def test_due_time_spends_exactly_the_budget_outside_the_pauses(
    start: datetime, hours: int, gaps: list[tuple[int, int]]
) -> None:
    """Closed pauses, one after another (as a case makes them): the office time outside
    them, from start to the due time, is exactly the budget, and the deadline never comes
    earlier than without pauses."""
    pauses: list[Span] = []
    cursor = start
    for offset, length in gaps:
        since = cursor + timedelta(hours=offset)
        pauses.append(Span(since, since + timedelta(hours=length)))
        cursor = since + timedelta(hours=length)
    due = due_at(start, hours * 3600.0, KUPANG, pauses)
    plain = due_at(start, hours * 3600.0, KUPANG)
    assert due is not None and plain is not None and due >= plain
    assert office_seconds_between(start, due, KUPANG, pauses) == pytest.approx(hours * 3600.0)


@example(  # the budget ends exactly where a pause begins, 1 µs into an office day: a sum
    # of float seconds put it past the pause, a day later
    start=datetime(2026, 1, 19, 5, 0, 0, 1, tzinfo=UTC),
    budgets=[180],
    gaps=[(19, 23)],
    open_pause=False,
)
@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)
    ),
    budgets=st.lists(st.integers(min_value=0, max_value=400 * 60), min_size=1, max_size=4),
    gaps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=96), st.integers(min_value=1, max_value=72)),
        max_size=3,
    ),
    open_pause=st.booleans(),
)
def test_several_budgets_in_one_walk_are_each_budget_on_its_own(
    start: datetime, budgets: list[int], gaps: list[tuple[int, int]], open_pause: bool
) -> None:
    """The warning and due times come from one walk of office time: the same as walking
    once per budget, also with an open pause standing the clock."""
    pauses: list[Span] = []
    cursor = start
    for offset, length in gaps:
        since = cursor + timedelta(hours=offset)
        pauses.append(Span(since, since + timedelta(hours=length)))
        cursor = since + timedelta(hours=length)
    if open_pause:
        pauses.append(Span(cursor + timedelta(hours=3), None))
    minutes = sorted(b * 60.0 for b in budgets)
    assert due_ats(start, minutes, KUPANG, pauses) == [
        _walk_alone(start, m, pauses) for m in minutes
    ]


def _walk_alone(start: datetime, budget: float, pauses: list[Span]) -> datetime | None:
    """The plain walk for one budget, written out here as the reference."""
    if budget <= 0:
        return start
    remaining = timedelta(seconds=budget)  # exact: datetime's own microseconds
    for a, b in KUPANG.office_intervals(start):
        for x, y in _outside(a, b, pauses):
            if remaining <= y - x:
                return x + remaining
            remaining -= y - x
        if pauses and pauses[-1].until is None and pauses[-1].since < b:
            return None
    raise AssertionError("no office time within the horizon")


def _outside(a: datetime, b: datetime, pauses: list[Span]) -> list[tuple[datetime, datetime]]:
    """[a, b) minus the pauses, minute by minute merged (slow and obviously right)."""
    parts: list[tuple[datetime, datetime]] = []
    cursor = a
    for p in pauses:
        end = p.until or datetime.max.replace(tzinfo=UTC)
        if end <= cursor or p.since >= b:
            continue
        if p.since > cursor:
            parts.append((cursor, p.since))
        cursor = max(cursor, end)
    if cursor < b:
        parts.append((cursor, b))
    return parts


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)
    ),
    budgets=st.lists(st.integers(min_value=0, max_value=400 * 60), min_size=1, max_size=4),
)
def test_a_clock_never_paused_is_walked_as_one_with_pauses(
    start: datetime, budgets: list[int]
) -> None:
    """Without pauses `due_ats` takes a shorter road (every case row of a rebuild asks):
    the same times as the walk that steps around pauses, given one that ended before."""
    minutes = sorted(b * 60.0 for b in budgets)
    over = Span(start - timedelta(days=2), start - timedelta(days=1))
    assert due_ats(start, minutes, KUPANG) == due_ats(start, minutes, KUPANG, [over])
