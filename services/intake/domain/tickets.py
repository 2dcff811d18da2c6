"""Ticket numbers a citizen can read over the phone: `LMJ-2026-000123`.

The year is the office's own calendar year (`shared.localtime.local_date`): a request
received in Mataram at 00:30 WITA on 1 January (still 31 December in UTC) gets a ticket of
the new year.
"""

from __future__ import annotations

from shared.catalogue import Office


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
