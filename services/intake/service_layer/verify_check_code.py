"""Use case: does this ticket number and check code open this office's request?

Asked by the public portal (through intake's internal API) before it shows a request's
status. One answer for every way of being wrong: an unknown ticket, a ticket of another
office and a wrong code are all `not_found`, so the answer never tells which part was
wrong (tickets are sequential; the code is what only the citizen has). The comparison is
constant-time, and an unknown ticket is compared against a dummy hash all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from services.intake.adapters import repository as repo
from shared.check_codes import matches
from shared.refusal import Refused
from shared.settings import get_settings


@dataclass(frozen=True)
class VerifiedTicket:
    case_id: UUID
    ticket_number: str
    office: str


def _no_such_request() -> Refused:
    return Refused.not_found(
        "not_found", "No request matches this ticket number and check code at this office."
    )


async def verify_check_code(
    conn: asyncpg.Connection, *, office: str, ticket_number: str, code: str
) -> VerifiedTicket:
    ticket = ticket_number.strip().upper()
    row = await repo.check_code_of_ticket(conn, ticket)
    secret = get_settings().slrt_check_code_secret
    good = matches(code, row.code_hash if row else None, secret=secret)
    if row is None or not good or row.office != office:
        raise _no_such_request()
    return VerifiedTicket(row.case_id, row.ticket_number, row.office)
