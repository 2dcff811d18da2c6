"""Indonesia's three time zones and an office's local date: written once, used everywhere.

Indonesia keeps no daylight saving, so each province has one fixed offset and needs no
tz database: WIB (UTC+7), WITA (UTC+8), WIT (UTC+9). The province is the first two digits
of a Kemendagri region code (`52.71` is Kota Mataram in Nusa Tenggara Barat, WITA).

Ticket years, letter dates and deadlines are all counted in the office's own calendar:
a request received in Mataram at 00:30 WITA on 1 January (still 31 December in UTC) is a
request of the new year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")

# Province codes outside WIB (everything else is WIB: Sumatra, Java, West and Central
# Kalimantan).
_WITA_PROVINCES = frozenset(
    {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
)
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})


# The calendar in Bahasa Indonesia, as letters, messages and pages write dates.
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def tanggal(on: date) -> str:
    """A date as Indonesian offices write it: `30 November 2026`."""
    return f"{on.day} {MONTHS[on.month - 1]} {on.year}"


def zone_of(region_code: str) -> timezone:
    """The legal time zone of a region code (`52.71` -> WITA, `35.08` -> WIB)."""
    province = region_code[:2]
    if province in _WITA_PROVINCES:
        return WITA
    if province in _WIT_PROVINCES:
        return WIT
    return WIB


def local_date(moment: datetime, region_code: str) -> date:
    """The calendar date at the office when `moment` happened."""
    return moment.astimezone(zone_of(region_code)).date()


def local_today(region_code: str, now: datetime | None = None) -> date:
    """Today at the office (`now` for tests and replays; the wall clock otherwise)."""
    return local_date(now or datetime.now(UTC), region_code)
