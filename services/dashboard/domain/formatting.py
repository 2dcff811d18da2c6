"""Dates, times and durations as staff in Indonesia read them, in the office's own zone.

`Senin, 30 November 2026 14.05 WITA`: day and month names in Bahasa Indonesia, the hour
and minute separated by a dot (PUEBI), and the zone's name (WIB, WITA, WIT) from
`shared.localtime`. Pure functions: the templates call them as filters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

from shared.localtime import DAYS, MONTHS, zone_of


def _local(moment: datetime, region_code: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone_of(region_code))


def zone_name(region_code: str) -> str:
    """`WITA`."""
    return zone_of(region_code).tzname(None) or ""


def date_time(moment: datetime | None, region_code: str) -> str:
    """`Senin, 30 November 2026 14.05 WITA`."""
    if moment is None:
        return "—"
    t = _local(moment, region_code)
    return (
        f"{DAYS[t.weekday()]}, {t.day} {MONTHS[t.month - 1]} {t.year} "
        f"{t.hour:02d}.{t.minute:02d} {t.tzname()}"
    )


def date_only(moment: datetime | None, region_code: str) -> str:
    """`30 November 2026`."""
    if moment is None:
        return "—"
    t = _local(moment, region_code)
    return f"{t.day} {MONTHS[t.month - 1]} {t.year}"


def time_only(moment: datetime | None, region_code: str) -> str:
    """`14.05 WITA`."""
    if moment is None:
        return "—"
    t = _local(moment, region_code)
    return f"{t.hour:02d}.{t.minute:02d} {t.tzname()}"


# The length of an office's working day (hari kerja), in office seconds: casework counts
# deadlines in office time, 08.00-16.00 on working days (`OfficeCalendar.day_seconds` in
# services/casework/domain/deadlines.py, the same for every office). The dashboard may not
# import casework, so it is written here once; a unit test keeps the two equal.
OFFICE_DAY_SECONDS = 8 * 3600


def duration(seconds: float | None, day_seconds: float = OFFICE_DAY_SECONDS) -> str:
    """Office time, as casework counts it (`remaining_office_seconds`), in working days of
    `day_seconds` and office hours: `7 hari kerja`, `1 hari kerja 3 jam`, `2 jam 30 menit`,
    `45 menit`. Never 24-hour days: 56 office hours are 7 working days, not "2 hari 8 jam".
    Minutes are left out once there are whole days; the sign is the caller's (`time_left`)."""
    if seconds is None:
        return "—"
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, max(int(day_seconds) // 60, 1))
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} hari kerja")
    if hours:
        parts.append(f"{hours} jam")
    if minutes and not days:
        parts.append(f"{minutes} menit")
    return " ".join(parts) or "kurang dari 1 menit"


def time_left(seconds: float | None, day_seconds: float = OFFICE_DAY_SECONDS) -> str:
    """A deadline's office time left (`remaining_office_seconds`; negative: overdue) as
    staff read it: `sisa 1 hari kerja 3 jam`, `sisa 45 menit`, `lewat 2 hari kerja`; empty
    when there is no deadline (no clock, or it stands paused)."""
    if seconds is None:
        return ""
    word = "lewat" if seconds < 0 else "sisa"
    return f"{word} {duration(seconds, day_seconds)}"


def byline(summary: str | None, actor: str | None) -> str:
    """`oleh staff:kc-test` beside a timeline line, unless the line already says so.

    Casework's summaries leave out who acted when that is the row's actor (the dashboard
    names them here), but rows projected before that still read "Jawaban diberikan oleh
    staff:kc-test" until casework's projection is rebuilt: those get no second "oleh". The
    actor must follow "oleh" as a whole name (`staff:kc` is not `staff:kc-test`), at the
    end, before a space or punctuation, or before the ": reason" some lines add."""
    if not actor:
        return ""
    if summary and re.search(rf"\boleh {re.escape(actor)}(?=$|[\s,;)]|:\s)", summary):
        return ""
    return f"oleh {actor}"


class ClockState(StrEnum):
    """The state of a case's deadline clock, as the queue colours it."""

    RUNNING = "running"  # green: time enough
    WARNED = "warned"  # amber: due within a working day
    BREACHED = "breached"  # red: overdue
    PAUSED = "paused"  # grey: waiting for the citizen or another party
    NONE = "none"  # no deadline (finished, or the service publishes none)


CLOCK_LABELS = {
    ClockState.RUNNING: "Berjalan",
    ClockState.WARNED: "Mendekati tenggat",
    ClockState.BREACHED: "Terlambat",
    ClockState.PAUSED: "Dijeda",
    ClockState.NONE: "Tanpa tenggat",
}

# Where no warning time is given (the work queue), amber within half a working day; the
# case page uses casework's own `warned` (the standard's warning point).
WARN_WITHIN_SECONDS = OFFICE_DAY_SECONDS // 2


def clock_state(
    *,
    due_at: datetime | None,
    paused: bool,
    breached: bool,
    remaining_seconds: float | None,
    warned: bool = False,
) -> ClockState:
    if breached or (remaining_seconds is not None and remaining_seconds < 0):
        return ClockState.BREACHED
    if paused:
        return ClockState.PAUSED
    if due_at is None:
        return ClockState.NONE
    if warned or (remaining_seconds is not None and remaining_seconds <= WARN_WITHIN_SECONDS):
        return ClockState.WARNED
    return ClockState.RUNNING
