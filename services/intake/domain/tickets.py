"""Ticket numbers a citizen can read over the phone: `LMJ-2026-000123`.

The year is the office's own calendar year: a request received in Mataram at 00:30 WITA
on 1 January (still 31 December in UTC) gets a ticket of the new year. Indonesia keeps no
daylight saving, so each province has one fixed offset.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from shared.catalogue import Office

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")

# Province codes (first two digits of a region code) outside WIB.
_WITA_PROVINCES = frozenset(
    {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
)
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})


def office_timezone(region_code: str) -> timezone:
    """WIB, WITA or WIT for a region code like `52.71`."""
    province = region_code[:2]
    if province in _WITA_PROVINCES:
        return WITA
    if province in _WIT_PROVINCES:
        return WIT
    return WIB


def office_local_date(received_at: datetime, region_code: str) -> date:
    return received_at.astimezone(office_timezone(region_code)).date()


def ticket_prefix(office: Office) -> str:
    """`ticket_prefix` from the catalogue when it has one, else an abbreviation of the id.

    The abbreviation is the usual Indonesian one: the first letter, then the next two
    consonants (lumajang -> LMJ, mataram -> MTR, pariaman -> PRM, kupang -> KPN).
    """
    configured = getattr(office, "ticket_prefix", None)
    if isinstance(configured, str) and configured:
        return configured.upper()
    letters = [ch for ch in office.id.upper() if ch.isalpha()]
    consonants = [ch for ch in letters[1:] if ch not in "AEIOU"]
    prefix = "".join(letters[:1] + consonants[:2])
    return prefix if len(prefix) == 3 else "".join(letters[:3])


def format_ticket(prefix: str, year: int, n: int) -> str:
    return f"{prefix}-{year:04d}-{n:06d}"
