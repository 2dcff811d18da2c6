"""Use case: a new case's check code (shared.check_codes) is issued with its ticket.

Every way a case is registered (the staff API's group commit, a walk-in, a channel
message, a classified triage item) goes through here: the code is sealed into
`ComplaintRegistered` (for the first message), only its HMAC is kept in
`intake.check_codes`, and the code itself is handed back once, to be printed on the desk
receipt. A redelivered request gets no code again (it was given the first time).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.new_case import Identified
from shared.check_codes import hash_check_code, seal
from shared.settings import get_settings


def sealed_check_code(case: Identified) -> str:
    """The code encrypted for notifications, bound to the case."""
    secret = get_settings().slrt_check_code_secret
    return seal(case.new.check_code, case.new.case_id, secret=secret)


def check_code_rows(cases: Iterable[Identified]) -> list[tuple[UUID, str, str, str]]:
    """What `intake.check_codes` keeps of each new case: its code as an HMAC, never the code."""
    secret = get_settings().slrt_check_code_secret
    return [
        (
            c.new.case_id,
            c.ticket_number,
            c.new.valid.office.id,
            hash_check_code(c.new.check_code, secret=secret),
        )
        for c in cases
    ]


async def keep_check_codes(conn: asyncpg.Connection, cases: Iterable[Identified]) -> None:
    """Keep each new case's code as its HMAC, in the registration's transaction."""
    await repo.add_check_codes(conn, check_code_rows(cases))
