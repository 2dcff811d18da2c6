"""Dates, times and durations as staff in Indonesia read them, in the office's own zone.

`Senin, 30 November 2026 14.05 WITA`: day and month names in Bahasa Indonesia, the hour
and minute separated by a dot (PUEBI), and the zone's name (WIB, WITA, WIT) from
`shared.localtime`. Pure functions: the templates call them as filters.
"""

from __future__ import annotations

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


def duration(seconds: float | None) -> str:
    """Office time as `1 hari 3 jam` / `45 menit`; a day here is 24 hours of the clock the
    service counts (casework gives working time already)."""
    if seconds is None:
        return "—"
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} hari")
    if hours:
        parts.append(f"{hours} jam")
    if minutes and not days:
        parts.append(f"{minutes} menit")
    return " ".join(parts) or "kurang dari 1 menit"


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
WARN_WITHIN_SECONDS = 4 * 3600


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
